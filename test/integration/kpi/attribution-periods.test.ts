import type { Conversion } from '../../../src/kpi/models/attribution';
import { attributeConversions } from '../../../src/kpi/models/attribution';
import { computeMeetingsBooked, selectLeadContact } from '../../../src/kpi/models/metrics';
import type { Contact, Meeting } from '../../../src/kpi/models/metrics';
import { createKpiService, readAttributionTotals, readHeadline } from '../../../src/kpi';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import type { SeedPortal } from './seed';
import { seedPortal } from './seed';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

const PIPELINES: SeedPortal['pipelines'] = [
  {
    id: 'default',
    stages: [
      { id: 'open', order: 0, closed: false, probability: 0.2 },
      { id: 'won', order: 1, closed: true, probability: 1 },
      { id: 'lost', order: 2, closed: true, probability: 0 },
    ],
  },
  {
    id: 'renewals',
    stages: [
      { id: 'r-open', order: 0, closed: false, probability: 0.2 },
      { id: 'r-won', order: 1, closed: true, probability: 1 },
    ],
  },
];

/**
 * Deal 500 has three contacts: 7 (listed first, marked primary by the seed, the lowest id but
 * created last), 9 and 8 (created at the same instant, before 7): its lead contact is 8.
 */
const PORTAL: SeedPortal = {
  portalId: 7301,
  pipelines: PIPELINES,
  contacts: [
    { id: 7, createdAt: NOW - 40 * DAY, source: 'DIRECT_TRAFFIC' },
    { id: 8, createdAt: NOW - 60 * DAY, source: 'PAID_SEARCH' },
    { id: 9, createdAt: NOW - 60 * DAY, source: 'ORGANIC_SEARCH' },
    // Created first of all, but archived: takes no part.
    { id: 6, createdAt: NOW - 90 * DAY, source: 'REFERRALS', archived: true },
    { id: 10, createdAt: NOW - 200 * DAY, source: 'EMAIL_MARKETING' },
  ],
  deals: [
    {
      id: 500,
      pipelineId: 'default',
      stageId: 'won',
      amount: 1000,
      source: null,
      ownerId: 'o1',
      createdAt: NOW - 30 * DAY,
      closedAt: NOW - 10 * DAY,
      contactIds: [7, 9, 8, 6],
    },
    {
      id: 501,
      pipelineId: 'renewals',
      stageId: 'r-won',
      amount: 250.5,
      source: 'OFFLINE',
      ownerId: 'o2',
      createdAt: NOW - 150 * DAY,
      // Won in a month of its own, long before deal 500.
      closedAt: NOW - 120 * DAY,
      contactIds: [10],
    },
    {
      // Contact 7's own won deal, before any of its touches: (no touch).
      id: 502,
      pipelineId: 'default',
      stageId: 'won',
      amount: 40,
      source: null,
      createdAt: NOW - 110 * DAY,
      closedAt: NOW - 100 * DAY,
      contactIds: [7],
    },
  ],
  touches: [
    // Before contact 8's creation (the lead contact): PAID_SEARCH at −61 d is lead creation.
    { id: 'a', contactId: 8, at: NOW - 70 * DAY, channel: 'ORGANIC_SEARCH' },
    { id: 'b', contactId: 8, at: NOW - 61 * DAY, channel: 'PAID_SEARCH' },
    // Contact 7's touch just before its own creation: lead creation if 7 were the lead contact.
    { id: 'c', contactId: 7, at: NOW - 41 * DAY, channel: 'DIRECT_TRAFFIC' },
    { id: 'd', contactId: 9, at: NOW - 20 * DAY, channel: 'EMAIL_MARKETING' },
    { id: 'e', contactId: 10, at: NOW - 210 * DAY, channel: 'SOCIAL_MEDIA' },
  ],
};

async function seedMeetings(portalId: number): Promise<void> {
  const meetings = [
    // Booked on the web with contacts 7, 8 and 9: the booking contact is 8 (PAID_SEARCH).
    { id: 1, created: NOW - 5 * DAY, source: 'MEETINGS_PUBLIC', contacts: [7, 9, 8] },
    // With the archived contact 6 (created first) and 7: the booking contact is 7.
    { id: 2, created: NOW - 5 * DAY, source: 'MEETINGS_PUBLIC', contacts: [6, 7] },
    { id: 3, created: NOW - 5 * DAY, source: 'CRM_UI', contacts: [8] },
  ];
  for (const m of meetings) {
    await ctx.db
      .insertInto('meetings')
      .values({
        portal_id: portalId,
        meeting_id: m.id,
        created_at: new Date(m.created),
        updated_at: new Date(m.created),
        occurred_at: new Date(m.created + DAY),
        meeting_source: m.source,
      })
      .execute();
    for (const c of m.contacts)
      await ctx.db
        .insertInto('meeting_contacts')
        .values({ portal_id: portalId, meeting_id: m.id, contact_id: c })
        .execute();
  }
}

beforeAll(async () => {
  await seedPortal(ctx.db, PORTAL);
  await seedMeetings(PORTAL.portalId);
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL.portalId, { now: NOW });
});

const live = new Map(
  PORTAL.contacts.map((c) => [
    String(c.id),
    { id: String(c.id), createdAt: c.createdAt, deleted: c.archived === true },
  ]),
);

describe('the lead contact (created first, ties to the lowest id)', () => {
  it('the pure rule picks contact 8 for deal 500', () => {
    expect(selectLeadContact(['7', '9', '8', '6'], live)?.id).toBe('8');
  });

  it('decides the lead-creation touch of the deal’s conversions', async () => {
    const rows = await ctx.db
      .selectFrom('kpi_credit_rows')
      .select(['conversion_kind', 'touch_id', 'u_shaped', 'w_shaped'])
      .where('portal_id', '=', PORTAL.portalId)
      .where('conversion_id', '=', 500)
      .where('conversion_kind', '=', 'revenue')
      .orderBy('touch_id')
      .execute();
    // Touches a (first), b (lead creation: last at or before contact 8's creation), c, d.
    // U-shaped: 40 % a, 40 % b, 20 % over c and d.
    expect(rows.map((r) => [r.touch_id, r.u_shaped])).toEqual([
      ['a', 400],
      ['b', 400],
      ['c', 100],
      ['d', 100],
    ]);
  });

  it('decides the deal’s source when the deal has none', async () => {
    const row = await ctx.db
      .selectFrom('kpi_deal_rows')
      .select('source')
      .where('portal_id', '=', PORTAL.portalId)
      .where('deal_id', '=', 500)
      .executeTakeFirstOrThrow();
    expect(row.source).toBe('PAID_SEARCH');
  });

  it('is the booking contact of a web meeting, in SQL as in computeMeetingsBooked', async () => {
    const rows = await ctx.db
      .selectFrom('kpi_snapshots')
      .select(['breakdown_value', 'value'])
      .where('portal_id', '=', PORTAL.portalId)
      .where('kpi', '=', 'meetings_booked_web')
      .where('period_unit', '=', 'trailing_90d')
      .where('breakdown', '=', 'source')
      .orderBy('period_start', 'desc')
      .execute();
    const trailing = listSnapshotPeriods(NOW, 'UTC').find((p) => p.unit === 'trailing_90d')!.period;
    const contacts: Contact[] = PORTAL.contacts.map((c) => ({
      id: String(c.id),
      createdAt: c.createdAt,
      firstVisitAt: null,
      firstConversionAt: null,
      source: c.source,
      lifecycleStage: null,
      becameCustomerAt: null,
      ownerId: null,
      deleted: c.archived === true,
    }));
    const meetings: Meeting[] = [
      {
        id: '1',
        contactIds: ['7', '9', '8'],
        at: NOW,
        source: 'MEETINGS_PUBLIC',
        createdAt: NOW - 5 * DAY,
        deleted: false,
      },
      {
        id: '2',
        contactIds: ['6', '7'],
        at: NOW,
        source: 'MEETINGS_PUBLIC',
        createdAt: NOW - 5 * DAY,
        deleted: false,
      },
    ];
    const pure = computeMeetingsBooked({ meetings, contacts, period: trailing });
    expect(pure.bySource.map((r) => [r.source, r.meetings.value])).toEqual([
      ['DIRECT_TRAFFIC', 1],
      ['PAID_SEARCH', 1],
    ]);
    const latest = new Map(rows.slice(0, 2).map((r) => [r.breakdown_value, Number(r.value)]));
    expect(latest).toEqual(
      new Map([
        ['DIRECT_TRAFFIC', 1],
        ['PAID_SEARCH', 1],
      ]),
    );
  });

  it('is the customer counted by CLV', async () => {
    const row = await ctx.db
      .selectFrom('kpi_snapshots')
      .select('inputs')
      .where('portal_id', '=', PORTAL.portalId)
      .where('kpi', '=', 'clv_years_as_customer')
      .executeTakeFirstOrThrow();
    // Three customers: 8 (deal 500), 10 (deal 501) and 7 (deal 502). Were 7 deal 500's customer
    // (the lowest id, or the seed's primary flag), there would be two.
    expect(row.inputs).toMatchObject({ customers: 3 });
  });
});

describe('attribution totals per period', () => {
  it('stores each model per kind, period and breakdown, by the conversion’s moment', async () => {
    const periods = listSnapshotPeriods(NOW, 'UTC');
    const month = (at: number) =>
      periods.find((p) => p.unit === 'month' && p.period.start <= at && at < p.period.end)!;
    const wonMonth = month(NOW - 10 * DAY);
    const rows = await readAttributionTotals(ctx.db, {
      portalId: PORTAL.portalId,
      kind: 'revenue',
      model: 'linear',
      periodUnit: 'month',
      periodStart: new Date(wonMonth.period.start),
    });
    // Deal 500 alone was won that month: its four touches' linear credits, 250 each.
    expect(rows.map((r) => [r.channel, r.credit, r.conversions, r.period_label])).toEqual([
      ['DIRECT_TRAFFIC', 250, 1, wonMonth.period.label],
      ['EMAIL_MARKETING', 250, 1, wonMonth.period.label],
      ['ORGANIC_SEARCH', 250, 1, wonMonth.period.label],
      ['PAID_SEARCH', 250, 1, wonMonth.period.label],
    ]);
    // Deal 501 was won in another month, and created in yet another one.
    const other = await readAttributionTotals(ctx.db, {
      portalId: PORTAL.portalId,
      kind: 'revenue',
      model: 'first_touch',
      periodUnit: 'month',
      periodStart: new Date(month(NOW - 120 * DAY).period.start),
    });
    expect(other.map((r) => [r.channel, r.credit])).toEqual([['SOCIAL_MEDIA', 250.5]]);
    const created = await readAttributionTotals(ctx.db, {
      portalId: PORTAL.portalId,
      kind: 'deal_create',
      model: 'first_touch',
      periodUnit: 'month',
      periodStart: new Date(month(NOW - 150 * DAY).period.start),
    });
    expect(created.map((r) => [r.channel, r.credit])).toEqual([['SOCIAL_MEDIA', 1]]);
  });

  it('every period’s totals equal the pure models’ credits of the conversions in it, per breakdown (all, pipeline, source, owner)', async () => {
    const touchesOf = (ids: readonly number[]) =>
      PORTAL.touches
        .filter((t) => ids.includes(t.contactId))
        .map((t) => ({ id: t.id, at: t.at, channel: t.channel }));
    const d500 = PORTAL.deals[0]!;
    const d501 = PORTAL.deals[1]!;
    const d502 = PORTAL.deals[2]!;
    const conversions: Conversion[] = [
      {
        id: '500',
        kind: 'revenue',
        value: 1000,
        convertedAt: d500.closedAt!,
        contactCreatedAt: NOW - 60 * DAY,
        dealCreatedAt: d500.createdAt,
        touches: touchesOf([7, 8, 9]),
      },
      {
        id: '501',
        kind: 'revenue',
        value: 250.5,
        convertedAt: d501.closedAt!,
        contactCreatedAt: NOW - 200 * DAY,
        dealCreatedAt: d501.createdAt,
        touches: touchesOf([10]),
      },
      {
        id: '502',
        kind: 'revenue',
        value: 40,
        convertedAt: d502.closedAt!,
        contactCreatedAt: NOW - 40 * DAY,
        dealCreatedAt: d502.createdAt,
        touches: touchesOf([7]),
      },
    ];
    const credits = attributeConversions(conversions);
    const all = await ctx.db
      .selectFrom('kpi_attribution_totals')
      .selectAll()
      .where('portal_id', '=', PORTAL.portalId)
      .where('conversion_kind', '=', 'revenue')
      .execute();
    const pipelineOf: Record<string, string> = { '500': 'default', '501': 'renewals', '502': 'default' };
    const ownerOf: Record<string, string> = { '500': 'o1', '501': 'o2', '502': '(no owner)' };
    const sourceOf: Record<string, string> = {
      '500': 'PAID_SEARCH',
      '501': 'OFFLINE',
      '502': 'DIRECT_TRAFFIC',
    };
    let compared = 0;
    for (const { unit, period } of listSnapshotPeriods(NOW, 'UTC')) {
      const inPeriod = conversions
        .filter((c) => c.convertedAt >= period.start && c.convertedAt < period.end)
        .map((c) => c.id);
      for (const [breakdown, valueOf] of [
        ['all', () => ''],
        ['pipeline', (id: string) => pipelineOf[id]!],
        ['source', (id: string) => sourceOf[id]!],
        ['owner', (id: string) => ownerOf[id]!],
      ] as const) {
        const expected = new Map<string, number>();
        for (const c of credits.filter((x) => inPeriod.includes(x.conversionId))) {
          const key = `${c.model}|${valueOf(c.conversionId)}|${c.channel}`;
          expected.set(key, Math.round(((expected.get(key) ?? 0) + c.credit) * 100) / 100);
        }
        const stored = new Map(
          all
            .filter(
              (r) =>
                r.period_unit === unit &&
                r.period_start.getTime() === period.start &&
                r.breakdown === breakdown,
            )
            .map((r) => [`${r.model}|${r.breakdown_value}|${r.channel}`, r.credit]),
        );
        expect(stored).toEqual(expected);
        compared += stored.size;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('the headline names its period: top channels of the revenue won in the trailing 90 days', async () => {
    const h = await readHeadline(ctx.db, PORTAL.portalId);
    const trailing = listSnapshotPeriods(NOW, 'UTC').find((p) => p.unit === 'trailing_90d')!.period;
    expect(h.period).toEqual({
      start: new Date(trailing.start).toISOString(),
      end: new Date(trailing.end).toISOString(),
      label: trailing.label,
    });
    // Deal 501 was won 120 days ago: not in the trailing 90 days.
    expect(h.topChannels.first_touch?.[0]).toEqual({ channel: 'ORGANIC_SEARCH', credit: 1000 });
    for (const list of Object.values(h.topChannels))
      expect(list.map((c) => c.channel)).not.toContain('SOCIAL_MEDIA');
    expect(h.topChannels.shapley?.length).toBeGreaterThan(0);
  });

  it('one portal cannot read another’s totals', async () => {
    const rows = await readAttributionTotals(ctx.db, {
      portalId: PORTAL.portalId + 1,
      kind: 'revenue',
      periodUnit: 'month',
    });
    expect(rows).toEqual([]);
  });
});
