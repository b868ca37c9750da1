import { createKpiService } from '../../../src/kpi/kpi.service';
import type { Activity, Contact } from '../../../src/kpi/models/metrics';
import { computeSpeedToLead } from '../../../src/kpi/models/metrics';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { seedPortal } from './seed';

const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const PORTAL = 6501;
const KINDS = ['call', 'email', 'note', 'meeting', 'task', 'sms'];

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

test('speed to lead per period (median minutes, share within 5 minutes) matches computeSpeedToLead', async () => {
  // 50 leads over ~200 days, a few created minutes before NOW (not judged yet), some with a
  // form conversion long after creation; activities before and after the clock, internal kinds,
  // answers at exactly 5 minutes, one activity after NOW.
  const contacts: Contact[] = Array.from({ length: 50 }, (_, i) => {
    const createdAt =
      i < 3 ? NOW - (i + 1) * MINUTE : NOW - (((i * 17) % 200) + 1) * DAY - (i % 7) * 3_600_000;
    return {
      id: String(i + 1),
      createdAt,
      firstVisitAt: null,
      firstConversionAt: i % 6 === 5 ? Math.min(createdAt + 30 * DAY, NOW - 2 * DAY) : null,
      source: null,
      lifecycleStage: null,
      becameCustomerAt: null,
      ownerId: null,
      deleted: i === 44,
    };
  });
  const activities: Activity[] = contacts.flatMap((c, i) => {
    const clock = c.firstConversionAt ?? c.createdAt;
    if (i % 5 === 4) return [];
    return [0, 1, 2].map((k) => ({
      id: `a${i}-${k}`,
      contactId: c.id,
      at: clock + (k === 0 ? -10 * MINUTE : k === 1 ? ((i * 3) % 11) * MINUTE : i === 7 ? DAY : 600 * MINUTE),
      kind: KINDS[(i + k) % KINDS.length]!,
    }));
  });
  await seedPortal(ctx.db, {
    portalId: PORTAL,
    pipelines: [],
    contacts: contacts.map((c) => ({
      id: Number(c.id),
      createdAt: c.createdAt,
      source: null,
      archived: c.deleted,
    })),
    deals: [],
    touches: [],
  });
  for (const c of contacts.filter((x) => x.firstConversionAt !== null))
    await ctx.db
      .updateTable('contacts')
      .set({ first_conversion_at: new Date(c.firstConversionAt!).toISOString() })
      .where('portal_id', '=', PORTAL)
      .where('contact_id', '=', Number(c.id))
      .execute();
  await ctx.db
    .insertInto('activities')
    .values(
      activities.map((a) => ({
        portal_id: PORTAL,
        activity_id: a.id,
        contact_id: Number(a.contactId),
        occurred_at: new Date(a.at).toISOString(),
        kind: a.kind,
      })),
    )
    .execute();
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });

  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select(['kpi', 'period_unit', 'period_start', 'value', 'reason', 'inputs'])
    .where('portal_id', '=', PORTAL)
    .where('kpi', 'like', 'speed_to_lead_%')
    .execute();
  const stored = new Map(rows.map((r) => [`${r.kpi}|${r.period_unit}|${r.period_start.getTime()}`, r]));
  const periods = listSnapshotPeriods(NOW, 'UTC');
  expect(rows.length).toBe(periods.length * 2);
  let known = 0;
  let unknown = 0;
  for (const { unit, period } of periods) {
    const s = computeSpeedToLead({ contacts, activities, meetings: [], period, now: NOW });
    for (const [kpi, expected] of [
      ['speed_to_lead_minutes_median', s.minutesToFirstActivity.median],
      ['speed_to_lead_share_within_5m', s.shareWithinTarget],
    ] as const) {
      const label = `${kpi} ${unit} ${period.label}`;
      const got = stored.get(`${kpi}|${unit}|${period.start}`);
      expect(got === undefined ? `${label}: missing` : label).toBe(label);
      if (got === undefined) continue;
      if (expected.value === null) {
        unknown++;
        expect({ label, value: got.value }).toEqual({ label, value: null });
        expect(got.reason).toEqual(expect.any(String));
      } else {
        known++;
        expectNear(label, Number(got.value), expected.value);
      }
    }
    const share = stored.get(`speed_to_lead_share_within_5m|${unit}|${period.start}`);
    expect(share?.inputs).toEqual({
      numerator: s.shareWithinTarget.inputs.numerator,
      denominator: s.shareWithinTarget.inputs.denominator,
    });
  }
  expect(known).toBeGreaterThan(30);
  expect(unknown).toBeGreaterThan(5);
});
