import {
  CUSTOM_LIFECYCLE_STAGE_ID,
  ENTERPRISE_PIPELINE_ID,
  LIFECYCLE_STAGES,
  type GroundTruth,
  type SimulatorHandle,
} from '../../../src/simulator';
import { startSmallSimulator } from './helpers';

let a: SimulatorHandle;
let truth: GroundTruth;

beforeAll(async () => {
  a = await startSmallSimulator({ contacts: 400, deals: 100 });
  truth = a.groundTruth(101);
});
afterAll(() => a.close());

const order = new Map(LIFECYCLE_STAGES.map((s) => [s.id, s.order]));

describe('determinism', () => {
  it('generates the same portal for the same seed and anchor, and another for another seed', async () => {
    const same = await startSmallSimulator({ contacts: 400, deals: 100 });
    const other = await startSmallSimulator({ contacts: 400, deals: 100, seed: 'test-43' });
    try {
      expect(same.groundTruth(101)).toEqual(truth);
      expect(same.app).toEqual(a.app);
      expect(other.groundTruth(101).contacts.map((c) => c.properties.email)).not.toEqual(
        truth.contacts.map((c) => c.properties.email),
      );
      expect(other.app.clientSecret).not.toBe(a.app.clientSecret);
    } finally {
      await Promise.all([same.close(), other.close()]);
    }
  });
});

describe('shape', () => {
  it('moves lifecycle stages forward only, through the custom stage for some contacts, ending at the current value', () => {
    let custom = 0;
    for (const contact of truth.contacts) {
      const versions = [...(contact.propertiesWithHistory.lifecyclestage ?? [])].reverse();
      expect(versions.length).toBeGreaterThan(0);
      const orders = versions.map((v) => order.get(v.value)!);
      expect([...orders].sort((x, y) => x - y)).toEqual(orders);
      expect(contact.properties.lifecyclestage).toBe(versions[versions.length - 1]!.value);
      for (const v of versions) expect(contact.properties[`hs_v2_date_entered_${v.value}`]).toBeDefined();
      if (versions.some((v) => v.value === CUSTOM_LIFECYCLE_STAGE_ID)) custom++;
    }
    expect(custom).toBeGreaterThan(5);
  });

  it('gives contacts sources, drill-downs, a touch trail, visits and conversions', () => {
    const sources = new Set(truth.contacts.map((c) => c.properties.hs_analytics_source));
    expect(sources.size).toBeGreaterThanOrEqual(8);
    const trails = truth.contacts.map((c) => c.propertiesWithHistory.hs_latest_source?.length ?? 0);
    expect(trails.every((n) => n >= 1)).toBe(true);
    expect(trails.filter((n) => n >= 3).length).toBeGreaterThan(40);
    for (const c of truth.contacts) {
      expect(c.properties.hs_analytics_source_data_1).toBeDefined();
      expect(Date.parse(c.properties.hs_analytics_first_timestamp!)).toBeLessThanOrEqual(
        Date.parse(c.createdAt),
      );
      expect(Number(c.properties.hs_analytics_num_page_views)).toBeGreaterThanOrEqual(
        Number(c.properties.hs_analytics_num_visits),
      );
    }
    expect(truth.contacts.filter((c) => c.properties.first_conversion_date).length).toBeGreaterThan(300);
    const customers = truth.contacts.filter((c) => c.properties.hs_v2_date_entered_customer);
    expect(customers.length).toBeGreaterThan(5);
  });

  it('spreads deals over two pipelines with outcomes, stage histories, skips, currencies and associations', () => {
    const deals = truth.deals;
    expect(new Set(deals.map((d) => d.properties.pipeline))).toEqual(
      new Set(['default', ENTERPRISE_PIPELINE_ID]),
    );
    expect(deals.some((d) => d.properties.hs_is_closed_won === 'true')).toBe(true);
    expect(
      deals.some((d) => d.properties.hs_is_closed === 'true' && d.properties.hs_is_closed_won === 'false'),
    ).toBe(true);
    expect(deals.some((d) => d.properties.hs_is_closed === 'false')).toBe(true);
    expect(deals.some((d) => d.properties.deal_currency_code !== 'USD')).toBe(true);
    for (const d of deals) {
      expect(d.properties.dealstage).toBe(d.propertiesWithHistory.dealstage![0]!.value);
      if (d.properties.deal_currency_code === 'USD')
        expect(d.properties.amount_in_home_currency).toBe(d.properties.amount);
    }
    const perDeal = new Map<string, number>();
    for (const link of truth.associations.dealContacts)
      perDeal.set(link.dealId, (perDeal.get(link.dealId) ?? 0) + 1);
    expect(deals.some((d) => !perDeal.has(d.id))).toBe(true);
    expect([...perDeal.values()].some((n) => n >= 2)).toBe(true);
    const won = deals.filter(
      (d) => d.properties.hs_is_closed_won === 'true' && d.properties.pipeline === 'default',
    );
    expect(won.some((d) => d.propertiesWithHistory.dealstage!.length < 6)).toBe(true);
    // Contacts of a won deal became customers, no later than the deal closed.
    for (const link of truth.associations.dealContacts) {
      const deal = deals.find((d) => d.id === link.dealId)!;
      if (deal.properties.hs_is_closed_won !== 'true') continue;
      const contact = truth.contacts.find((c) => c.id === link.contactId)!;
      expect(Date.parse(contact.properties.hs_v2_date_entered_customer!)).toBeLessThanOrEqual(
        Date.parse(deal.properties.closedate!) + 1,
      );
    }
  });

  it('creates meetings, some booked through a scheduling link, associated with contacts', () => {
    expect(truth.meetings.length).toBe(150);
    expect(truth.meetings.some((m) => m.properties.hs_meeting_source === 'MEETINGS_PUBLIC')).toBe(true);
    expect(truth.associations.meetingContacts.length).toBeGreaterThanOrEqual(150);
    for (const m of truth.meetings) expect(m.properties.hs_timestamp).toBeDefined();
  });

  it('keeps every generated time at or before the anchor, ids large and distinct per portal', () => {
    const anchor = Date.parse('2026-11-01T00:00:00Z');
    for (const c of truth.contacts) expect(Date.parse(c.updatedAt)).toBeLessThanOrEqual(anchor);
    expect(Number(truth.contacts[0]!.id)).toBeGreaterThan(2 ** 31);
    expect(truth.owners.filter((o) => o.archived)).toHaveLength(1);
  });
});
