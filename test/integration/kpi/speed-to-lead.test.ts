import { createKpiService } from '../../../src/kpi/kpi.service';
import type { Activity, Contact, Meeting } from '../../../src/kpi/models/metrics';
import { computeSpeedToLead, NO_SALES_ACTIVITY_REASON } from '../../../src/kpi/models/metrics';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from './seed';

const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 6501;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx.cleanup();
});

function expectNear(label: string, actual: number, want: number): void {
  const ok = Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want));
  expect(ok ? label : `${label}: got ${actual}, want ${want}`).toBe(label);
}

type Call = {
  id: number;
  kind: 'call' | 'email';
  direction: string | null;
  contactIds: number[];
  at: number;
};

/** Inserts calls/emails and meetings into the mirror in the shape the sync writes them. */
async function seedActivities(
  portalId: number,
  calls: readonly Call[],
  meetings: readonly Meeting[],
): Promise<void> {
  if (calls.length > 0) {
    await ctx.db
      .insertInto('activities')
      .values(
        calls.map((a) => ({
          portal_id: portalId,
          kind: a.kind,
          activity_id: a.id,
          occurred_at: new Date(a.at).toISOString(),
          created_at: new Date(a.at).toISOString(),
          updated_at: new Date(a.at).toISOString(),
          email_direction: a.direction,
        })),
      )
      .execute();
    await ctx.db
      .insertInto('activity_contacts')
      .values(
        calls.flatMap((a) =>
          a.contactIds.map((c) => ({ portal_id: portalId, kind: a.kind, activity_id: a.id, contact_id: c })),
        ),
      )
      .execute();
  }
  if (meetings.length > 0) {
    await ctx.db
      .insertInto('meetings')
      .values(
        meetings.map((m) => ({
          portal_id: portalId,
          meeting_id: Number(m.id),
          occurred_at: new Date(m.at).toISOString(),
          created_at: new Date(m.createdAt).toISOString(),
          updated_at: new Date(m.createdAt).toISOString(),
          meeting_source: m.source,
          archived: m.deleted,
        })),
      )
      .execute();
    await ctx.db
      .insertInto('meeting_contacts')
      .values(
        meetings.flatMap((m) =>
          m.contactIds.map((c) => ({ portal_id: portalId, meeting_id: Number(m.id), contact_id: Number(c) })),
        ),
      )
      .execute();
  }
}

/** The pure model's activity list: the spec's sales activities plus the kinds that do not count. */
function modelActivities(calls: readonly Call[], meetings: readonly Meeting[]): Activity[] {
  return [
    ...calls.flatMap((a) =>
      a.contactIds.map((c) => ({
        id: `${a.kind}:${a.id}`,
        contactId: String(c),
        at: a.at,
        kind: a.kind === 'call' ? 'call' : a.direction === 'EMAIL' ? 'email' : 'incoming_email',
      })),
    ),
    ...meetings
      .filter((m) => !m.deleted)
      .flatMap((m) =>
        m.contactIds.map((c) => ({
          id: `meeting:${m.id}`,
          contactId: c,
          at: m.createdAt,
          kind: m.source === 'MEETINGS_PUBLIC' ? 'booked_by_contact' : 'meeting',
        })),
      ),
  ];
}

test('speed to lead per period and breakdown (median, share within 5 minutes, answered, follow-ups) matches computeSpeedToLead', async () => {
  // 50 leads over ~200 days, a few created minutes before NOW, some with a form conversion long
  // after creation; calls and emails before and after the clock, incoming emails (not sales
  // activities), answers at exactly 5 minutes, one after NOW, an email to two contacts; meetings
  // booked by reps (count) and by the contact (do not count, but end the follow-ups).
  const contacts: Contact[] = Array.from({ length: 50 }, (_, i) => {
    const createdAt =
      i < 3 ? NOW - (i + 1) * MINUTE : NOW - (((i * 17) % 200) + 1) * DAY - (i % 7) * 3_600_000;
    return {
      id: String(i + 1),
      createdAt,
      firstVisitAt: null,
      firstConversionAt: i % 6 === 5 ? Math.min(createdAt + 30 * DAY, NOW - 2 * DAY) : null,
      source: i % 3 === 0 ? 'ORGANIC_SEARCH' : i % 3 === 1 ? 'DIRECT_TRAFFIC' : null,
      lifecycleStage: null,
      becameCustomerAt: null,
      ownerId: i % 4 === 0 ? null : `o${i % 4}`,
      deleted: i === 44,
    };
  });
  const calls: Call[] = contacts.flatMap((c, i) => {
    const clock = c.firstConversionAt ?? c.createdAt;
    if (i % 5 === 4) return [];
    return [0, 1, 2].map((k) => ({
      id: i * 10 + k + 1,
      kind: (i + k) % 3 === 0 ? ('call' as const) : ('email' as const),
      direction: (i + k) % 3 === 0 ? null : (i + k) % 3 === 1 ? 'EMAIL' : 'INCOMING_EMAIL',
      contactIds: k === 2 && i < 49 ? [i + 1, i + 2] : [i + 1],
      at: clock + (k === 0 ? -10 * MINUTE : k === 1 ? ((i * 3) % 11) * MINUTE : i === 7 ? DAY : 600 * MINUTE),
    }));
  });
  const meetings: Meeting[] = contacts
    .filter((_, i) => i % 4 === 1)
    .map((c, j) => ({
      id: String(9000 + j),
      contactIds: [c.id],
      at: (c.firstConversionAt ?? c.createdAt) + 3 * DAY,
      source: j % 2 === 0 ? 'MEETINGS_PUBLIC' : 'CRM_UI',
      createdAt: (c.firstConversionAt ?? c.createdAt) + (j % 3) * 300 * MINUTE + MINUTE,
      deleted: j === 3,
    }));
  await seedPortal(ctx.db, {
    portalId: PORTAL,
    pipelines: [],
    contacts: contacts.map((c) => ({
      id: Number(c.id),
      createdAt: c.createdAt,
      source: c.source,
      archived: c.deleted,
    })),
    deals: [],
    touches: [],
  });
  for (const c of contacts)
    await ctx.db
      .updateTable('contacts')
      .set({
        first_conversion_at:
          c.firstConversionAt === null ? null : new Date(c.firstConversionAt).toISOString(),
        owner_id: c.ownerId,
      })
      .where('portal_id', '=', PORTAL)
      .where('contact_id', '=', Number(c.id))
      .execute();
  await seedActivities(PORTAL, calls, meetings);
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });

  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select([
      'kpi',
      'period_unit',
      'period_start',
      'breakdown',
      'breakdown_value',
      'value',
      'reason',
      'inputs',
    ])
    .where('portal_id', '=', PORTAL)
    .where('kpi', 'like', 'speed_to_lead_%')
    .execute();
  const stored = new Map(
    rows.map((r) => [
      `${r.kpi}|${r.period_unit}|${r.period_start.getTime()}|${r.breakdown}|${r.breakdown_value}`,
      r,
    ]),
  );
  const activities = modelActivities(calls, meetings);
  const periods = listSnapshotPeriods(NOW, 'UTC');
  const groups: { breakdown: string; value: string; keep: (c: Contact) => boolean }[] = [
    { breakdown: 'all', value: '(all sources)', keep: () => true },
    { breakdown: 'source', value: 'DIRECT_TRAFFIC', keep: (c) => c.source === 'DIRECT_TRAFFIC' },
    { breakdown: 'source', value: '(no source)', keep: (c) => c.source === null },
    { breakdown: 'owner', value: 'o2', keep: (c) => c.ownerId === 'o2' },
  ];
  let known = 0;
  let unknown = 0;
  for (const { unit, period } of periods) {
    for (const g of groups) {
      const s = computeSpeedToLead({
        contacts: contacts.filter(g.keep),
        activities,
        meetings,
        period,
        now: NOW,
      });
      const inPeriod = s.leads.length > 0;
      for (const [kpi, expected] of [
        ['speed_to_lead_minutes_median', s.minutesToFirstActivity.median],
        ['speed_to_lead_share_within_5m', s.shareWithinTarget],
        ['speed_to_lead_answered', s.answered],
        ['speed_to_lead_followups_mean', s.followUpsBeforeFirstMeeting.mean],
      ] as const) {
        const label = `${kpi} ${unit} ${period.label} ${g.breakdown}=${g.value}`;
        const got = stored.get(`${kpi}|${unit}|${period.start}|${g.breakdown}|${g.value}`);
        // A breakdown value without leads in the period has no row (the all row always exists).
        if (!inPeriod && g.breakdown !== 'all') {
          expect(got === undefined ? label : `${label}: unexpected row`).toBe(label);
          continue;
        }
        expect(got === undefined ? `${label}: missing` : label).toBe(label);
        if (got === undefined) continue;
        if (expected.value === null) {
          unknown++;
          expect({ label, value: got.value, reason: typeof got.reason }).toEqual({
            label,
            value: null,
            reason: 'string',
          });
        } else {
          known++;
          expectNear(label, Number(got.value), expected.value);
        }
      }
      const share = stored.get(
        `speed_to_lead_share_within_5m|${unit}|${period.start}|${g.breakdown}|${g.value}`,
      );
      if (share !== undefined)
        expect({ period: period.label, g: g.value, inputs: share.inputs }).toEqual({
          period: period.label,
          g: g.value,
          inputs: {
            numerator: s.shareWithinTarget.inputs.numerator,
            denominator: s.shareWithinTarget.inputs.denominator,
          },
        });
    }
  }
  expect(known).toBeGreaterThan(100);
  expect(unknown).toBeGreaterThan(5);
});

test('a portal without any call, email or meeting: every speed-to-lead figure is null with the reason, never 0 %', async () => {
  const portalId = PORTAL + 1;
  await seedPortal(ctx.db, {
    portalId,
    pipelines: [],
    contacts: [{ id: 1, createdAt: NOW - 3 * DAY, source: null }],
    deals: [],
    touches: [],
  });
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(portalId, { now: NOW });
  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select(['kpi', 'value', 'reason'])
    .where('portal_id', '=', portalId)
    .where('kpi', 'like', 'speed_to_lead_%')
    .execute();
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.filter((r) => r.value !== null || r.reason !== NO_SALES_ACTIVITY_REASON)).toEqual([]);
});
