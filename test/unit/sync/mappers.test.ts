import type { CrmObject } from '../../../src/hubspot/schemas';
import {
  deriveContactTouches,
  mapContact,
  mapDeal,
  mapDealStageHistory,
  mapLifecycleHistory,
  mapMeeting,
  mergedIdsOf,
  parseHubSpotTime,
  type MapWarning,
} from '../../../src/sync/mappers';

function object(over: Partial<CrmObject> & { properties?: Record<string, string | null> }): CrmObject {
  return {
    id: '101',
    properties: {},
    createdAt: '2026-01-10T09:00:00.000Z',
    updatedAt: '2026-02-01T00:00:00.000Z',
    archived: false,
    ...over,
  };
}

describe('parseHubSpotTime', () => {
  it.each([
    ['2026-01-02T03:04:05.000Z', Date.UTC(2026, 0, 2, 3, 4, 5)],
    ['1767323045000', 1767323045000],
    ['2026-01-02', Date.UTC(2026, 0, 2)],
  ])('parses %s', (raw, ms) => {
    expect(parseHubSpotTime(raw)?.getTime()).toBe(ms);
  });
  it.each(['', 'yesterday', '12abc', '99999999999999999'])('rejects %p', (raw) => {
    expect(parseHubSpotTime(raw)).toBeUndefined();
  });
});

describe('mapDeal', () => {
  it('maps typed columns and keeps the rest as properties', () => {
    const row = mapDeal(
      7,
      object({
        id: '55',
        properties: {
          dealname: 'Acme – Suite',
          amount: '12000.50',
          amount_in_home_currency: '11000',
          deal_currency_code: 'EUR',
          pipeline: 'default',
          dealstage: 'closedwon',
          closedate: '1767323045000',
          hs_is_closed: 'true',
          hs_is_closed_won: 'true',
          dealtype: 'newbusiness',
          hs_analytics_source: 'ORGANIC_SEARCH',
          hs_analytics_source_data_1: null,
        },
      }),
      () => undefined,
    );
    expect(row).toMatchObject({
      portal_id: 7,
      deal_id: 55,
      amount: 12000.5,
      amount_home: 11000,
      currency: 'EUR',
      is_closed: true,
      is_won: true,
      stage_id: 'closedwon',
    });
    expect(row.close_date?.getTime()).toBe(1767323045000);
    expect(row.properties).toEqual({ dealtype: 'newbusiness' });
  });

  it('stores a value that does not parse as null and reports it', () => {
    const warnings: MapWarning[] = [];
    const row = mapDeal(7, object({ id: '56', properties: { amount: 'twelve', closedate: 'soon' } }), (w) =>
      warnings.push(w),
    );
    expect(row.amount).toBeNull();
    expect(row.close_date).toBeNull();
    expect(warnings.map((w) => w.property).sort()).toEqual(['amount', 'closedate']);
  });
});

describe('deal amounts at the edges of exactness', () => {
  const amountOf = (amount: string) => {
    const warnings: MapWarning[] = [];
    const row = mapDeal(7, object({ id: '57', properties: { amount } }), (w) => warnings.push(w));
    return { amount: row.amount, reasons: warnings.map((w) => w.reason) };
  };

  it.each([
    ['12000.50', 12000.5],
    ['-0.01', -0.01],
    ['0012.500000', 12.5],
    ['0.123456', 0.123456],
    ['70368744177663.99', 70368744177663.99],
    ['-70368744177663.99', -70368744177663.99],
  ])('keeps %s exactly', (raw, value) => {
    expect(amountOf(raw)).toEqual({ amount: value, reasons: [] });
  });

  it.each([
    ['70368744177664.00', 'beyond the exact money range of ±70368744177663.99 (refused, not rounded)'],
    ['200000000000000.01', 'beyond the exact money range of ±70368744177663.99 (refused, not rounded)'],
    ['1.1234567', 'not exactly representable as an amount (refused, not rounded)'],
    ['1234567890123.456789', 'not exactly representable as an amount (refused, not rounded)'],
    ['1e3', 'not exactly representable as an amount (refused, not rounded)'],
  ])('refuses %s rather than round it: %s', (raw, reason) => {
    expect(amountOf(raw)).toEqual({ amount: null, reasons: [reason] });
  });
});

describe('mapContact and mapMeeting', () => {
  it('maps a contact, tolerating a bad count', () => {
    const warnings: MapWarning[] = [];
    const row = mapContact(
      1,
      object({
        properties: {
          email: 'a@b.example',
          lifecyclestage: 'lead',
          hs_analytics_num_visits: '3.5',
          hs_analytics_first_timestamp: '2026-01-01T00:00:00Z',
          jobtitle: 'CTO',
        },
      }),
      (w) => warnings.push(w),
    );
    expect(row).toMatchObject({
      contact_id: 101,
      email: 'a@b.example',
      lifecycle_stage: 'lead',
      visits: null,
      properties: { jobtitle: 'CTO' },
    });
    expect(row.first_visit_at?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(warnings).toHaveLength(1);
  });

  it('maps a meeting', () => {
    const row = mapMeeting(
      1,
      object({
        id: '9',
        properties: {
          hs_timestamp: '2026-03-01T10:00:00Z',
          hs_meeting_source: 'MEETINGS_PUBLIC',
          hs_meeting_title: 'Demo',
        },
      }),
      () => undefined,
    );
    expect(row).toMatchObject({
      meeting_id: 9,
      meeting_source: 'MEETINGS_PUBLIC',
      properties: { hs_meeting_title: 'Demo' },
    });
  });

  it('refuses an id that is not a HubSpot id', () => {
    expect(() => mapMeeting(1, object({ id: 'abc' }), () => undefined)).toThrow(/not a HubSpot object id/);
  });
});

describe('histories', () => {
  it('orders versions oldest first, one per instant, and keeps clears', () => {
    const o = object({
      propertiesWithHistory: {
        lifecyclestage: [
          { value: '', timestamp: '2026-03-01T00:00:00Z', sourceType: 'CRM_UI' },
          { value: 'customer', timestamp: '2026-02-01T00:00:00Z', sourceType: 'AUTOMATION_PLATFORM' },
          { value: 'lead', timestamp: '2026-01-10T09:00:00Z', sourceType: 'FORM' },
        ],
        dealstage: [
          { value: 'closedwon', timestamp: '2026-02-01T00:00:00Z', sourceType: 'CRM_UI' },
          { value: 'appointmentscheduled', timestamp: 'garbage', sourceType: 'CRM_UI' },
        ],
      },
    });
    expect(
      mapLifecycleHistory(1, o, () => undefined).map((h) => [
        h.changed_at.toISOString().slice(0, 10),
        h.stage,
      ]),
    ).toEqual([
      ['2026-01-10', 'lead'],
      ['2026-02-01', 'customer'],
      ['2026-03-01', null],
    ]);
    const warnings: MapWarning[] = [];
    expect(mapDealStageHistory(1, o, (w) => warnings.push(w)).map((h) => h.stage_id)).toEqual(['closedwon']);
    expect(warnings).toHaveLength(1);
  });
});

describe('deriveContactTouches', () => {
  const contact = object({
    id: '42',
    properties: {
      hs_analytics_source: 'PAID_SEARCH',
      hs_analytics_source_data_1: 'google',
      hs_analytics_source_data_2: 'brand',
      hs_analytics_first_timestamp: '2026-01-05T00:00:00Z',
      hs_latest_source: 'EMAIL_MARKETING',
      hs_latest_source_data_1: 'newsletter-12',
      hs_latest_source_timestamp: '2026-02-10T00:00:00Z',
      first_conversion_date: '2026-01-10T09:00:00Z',
      first_conversion_event_name: 'Contact us: Form',
      recent_conversion_date: '2026-02-10T00:05:00Z',
      recent_conversion_event_name: 'Webinar: Form',
    },
    propertiesWithHistory: {
      hs_latest_source: [
        { value: 'EMAIL_MARKETING', timestamp: '2026-02-10T00:00:00Z', sourceType: 'ANALYTICS' },
        { value: 'DIRECT_TRAFFIC', timestamp: '2026-01-20T00:00:00Z', sourceType: 'ANALYTICS' },
        { value: 'PAID_SEARCH', timestamp: '2026-01-05T00:00:00Z', sourceType: 'ANALYTICS' },
      ],
    },
  });

  it('derives visits (original source first, drill-downs on first and last) and form conversions on the channel then in effect', () => {
    const touches = deriveContactTouches(3, contact, () => undefined);
    expect(
      touches.map((t) => [t.kind, t.occurred_at.toISOString().slice(0, 16), t.channel, t.detail_1]),
    ).toEqual([
      ['visit', '2026-01-05T00:00', 'PAID_SEARCH', 'google'],
      ['visit', '2026-01-20T00:00', 'DIRECT_TRAFFIC', null],
      ['visit', '2026-02-10T00:00', 'EMAIL_MARKETING', 'newsletter-12'],
      ['form', '2026-01-10T09:00', 'PAID_SEARCH', 'Contact us: Form'],
      ['form', '2026-02-10T00:05', 'EMAIL_MARKETING', 'Webinar: Form'],
    ]);
    expect(touches[0]?.touch_id).toBe(`v:42:${Date.parse('2026-01-05T00:00:00Z')}`);
    expect(new Set(touches.map((t) => t.touch_id)).size).toBe(touches.length);
  });

  it('is deterministic (re-deriving gives the same ids)', () => {
    expect(deriveContactTouches(3, contact, () => undefined)).toEqual(
      deriveContactTouches(3, contact, () => undefined),
    );
  });

  it('gives an offline contact without analytics no visit', () => {
    expect(deriveContactTouches(3, object({ properties: {} }), () => undefined)).toEqual([]);
  });
});

describe('mergedIdsOf', () => {
  it('reads the survivor list', () => {
    expect(mergedIdsOf({ properties: { hs_merged_object_ids: '12;15; x;20' } })).toEqual([12, 15, 20]);
    expect(mergedIdsOf({ properties: {} })).toEqual([]);
  });
});
