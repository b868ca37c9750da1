import { createKpiService } from '../../../src/kpi/kpi.service';
import { listSnapshotPeriods } from '../../../src/kpi/queries/snapshot-periods';
import type { GroundTruth } from '../../../src/simulator';
import { runFullSync } from '../../../src/sync/full-sync';
import { createTestContext, silentLogger, type TestContext } from '../../helpers/test-context';
import { startSyncWorld, type SyncWorld } from '../sync/helpers';

/**
 * "Done when" of issue 13: a simulated portal with calls, emails, meetings and traffic, synced and
 * computed by the app, against figures this test computes on its own from the simulator's ground
 * truth (no app model involved): speed to lead, funnel visits and the brand KPI.
 */
const PORTAL = 301;
const ANCHOR = '2026-11-01T00:00:00Z';
const NOW = Date.parse(ANCHOR);
const MINUTE = 60_000;

let ctx: TestContext;
let world: SyncWorld;
let truth: GroundTruth;
let stored: Map<string, { value: number | null; reason: string | null }>;
let timeZone: string;

beforeAll(async () => {
  ctx = await createTestContext();
  world = await startSyncWorld({
    prefix: ctx.config.queue.prefix,
    anchor: ANCHOR,
    portals: [{ portalId: PORTAL, contacts: 400, deals: 80, meetings: 150, timeZone: 'America/New_York' }],
  });
  truth = world.sim.groundTruth(PORTAL);
  timeZone = truth.account.timeZone;
  await ctx.db
    .insertInto('portals')
    .values({ portal_id: PORTAL, status: 'installed', installed_at: new Date(), time_zone: timeZone })
    .execute();
  await runFullSync({ db: ctx.db, hubspot: world.hubspot, logger: ctx.logger }, PORTAL);
  await createKpiService({ db: ctx.db, logger: silentLogger() }).recompute(PORTAL, { now: NOW });
  const rows = await ctx.db
    .selectFrom('kpi_snapshots')
    .select(['kpi', 'period_unit', 'period_start', 'breakdown', 'breakdown_value', 'value', 'reason'])
    .where('portal_id', '=', PORTAL)
    .execute();
  stored = new Map(
    rows.map((r) => [
      `${r.kpi}|${r.period_unit}|${r.period_start.getTime()}|${r.breakdown}|${r.breakdown_value}`,
      { value: r.value === null ? null : Number(r.value), reason: r.reason },
    ]),
  );
}, 120_000);
afterAll(async () => {
  await world.close();
  await ctx.cleanup();
});

function expectNear(label: string, actual: number | null | undefined, want: number | null): void {
  const ok =
    actual === undefined
      ? false
      : actual === null || want === null
        ? actual === want
        : Math.abs(actual - want) <= 1e-9 * Math.max(1, Math.abs(want));
  expect(ok ? label : `${label}: got ${actual}, want ${want}`).toBe(label);
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = (s.length - 1) / 2;
  return (s[Math.floor(mid)]! + s[Math.ceil(mid)]!) / 2;
}

const live = (r: { archived: boolean; mergedInto: string | null }) => !r.archived && r.mergedInto === null;
const time = (raw: string | undefined) => (raw === undefined || raw === '' ? null : Date.parse(raw));

const midnights = new Map<string, number>();
/** Local midnight (as an instant) of a YYYY-MM-DD day in the portal's zone. */
function midnight(day: string): number {
  const known = midnights.get(day);
  if (known !== undefined) return known;
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  const utc = Date.parse(`${day}T00:00:00Z`);
  for (let h = -14; h <= 14; h++) {
    const at = utc - h * 3_600_000;
    const parts = format.formatToParts(new Date(at));
    const get = (t: string) => parts.find((p) => p.type === t)?.value;
    if (
      `${get('year')}-${get('month')}-${get('day')}` === day &&
      get('hour') === '00' &&
      get('minute') === '00'
    ) {
      midnights.set(day, at);
      return at;
    }
  }
  throw new Error(`no midnight for ${day}`);
}

test('the portal has calls, emails, meetings and traffic, all synced', async () => {
  expect(truth.counts.calls.active).toBeGreaterThan(100);
  expect(truth.counts.emails.active).toBeGreaterThan(100);
  expect(truth.traffic.rows.length).toBeGreaterThan(300);
  const count = async (kind: 'call' | 'email') =>
    (
      await ctx.db
        .selectFrom('activities')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('portal_id', '=', PORTAL)
        .where('kind', '=', kind)
        .where('archived', '=', false)
        .executeTakeFirstOrThrow()
    ).n;
  expect(Number(await count('call'))).toBe(truth.counts.calls.active);
  expect(Number(await count('email'))).toBe(truth.counts.emails.active);
});

test('speed to lead per period equals what the ground truth gives', () => {
  const contacts = truth.contacts.filter(live).map((c) => ({
    id: c.id,
    clock: time(c.properties.first_conversion_date) ?? Date.parse(c.createdAt),
  }));
  // Sales activities per contact: calls and one-to-one emails at hs_timestamp, meetings the
  // contact did not book at their creation.
  const acts = new Map<string, { at: number; meeting: boolean }[]>();
  const push = (contactId: string, at: number, meeting: boolean) => {
    const list = acts.get(contactId) ?? [];
    list.push({ at, meeting });
    acts.set(contactId, list);
  };
  const liveCalls = new Map(truth.calls.filter(live).map((c) => [c.id, c]));
  for (const p of truth.associations.callContacts) {
    const call = liveCalls.get(p.callId);
    const at = time(call?.properties.hs_timestamp);
    if (call && at !== null) push(p.contactId, at, false);
  }
  const liveEmails = new Map(truth.emails.filter(live).map((e) => [e.id, e]));
  for (const p of truth.associations.emailContacts) {
    const email = liveEmails.get(p.emailId);
    const at = time(email?.properties.hs_timestamp);
    if (email && at !== null && email.properties.hs_email_direction === 'EMAIL') push(p.contactId, at, false);
  }
  const liveMeetings = new Map(truth.meetings.filter(live).map((m) => [m.id, m]));
  const meetingsOf = new Map<string, number[]>();
  for (const p of truth.associations.meetingContacts) {
    const meeting = liveMeetings.get(p.meetingId);
    if (!meeting) continue;
    const created = Date.parse(meeting.createdAt);
    meetingsOf.set(p.contactId, [...(meetingsOf.get(p.contactId) ?? []), created]);
    if (meeting.properties.hs_meeting_source !== 'MEETINGS_PUBLIC') push(p.contactId, created, true);
  }
  let answeredSomewhere = 0;
  let withinSomewhere = 0;
  for (const { unit, period } of listSnapshotPeriods(NOW, timeZone)) {
    const leads = contacts.filter((c) => c.clock >= period.start && c.clock < period.end && c.clock <= NOW);
    const minutes: number[] = [];
    const followUps: number[] = [];
    let within = 0;
    for (const lead of leads) {
      const own = (acts.get(lead.id) ?? []).filter((a) => a.at >= lead.clock && a.at <= NOW);
      if (own.length > 0) {
        const m = (Math.min(...own.map((a) => a.at)) - lead.clock) / MINUTE;
        minutes.push(m);
        if (m <= 5) within++;
      }
      const booked = (meetingsOf.get(lead.id) ?? []).filter((t) => t >= lead.clock && t <= NOW);
      if (booked.length > 0) {
        const first = Math.min(...booked);
        followUps.push(own.filter((a) => !a.meeting && a.at < first).length);
      }
    }
    answeredSomewhere += minutes.length;
    withinSomewhere += within;
    const key = (kpi: string) => `${kpi}|${unit}|${period.start}|all|(all sources)`;
    const label = `${unit} ${period.label}`;
    expectNear(`median ${label}`, stored.get(key('speed_to_lead_minutes_median'))?.value, median(minutes));
    expectNear(
      `share ${label}`,
      stored.get(key('speed_to_lead_share_within_5m'))?.value,
      leads.length > 0 ? within / leads.length : null,
    );
    expectNear(`answered ${label}`, stored.get(key('speed_to_lead_answered'))?.value, minutes.length);
    expectNear(
      `follow-ups ${label}`,
      stored.get(key('speed_to_lead_followups_mean'))?.value,
      followUps.length > 0 ? followUps.reduce((a, b) => a + b, 0) / followUps.length : null,
    );
  }
  // The generated response times have both fast answers and slow ones.
  expect(withinSomewhere).toBeGreaterThan(0);
  expect(answeredSomewhere).toBeGreaterThan(withinSomewhere);
});

test('funnel visits and the brand KPI per period equal what the ground truth gives', () => {
  const traffic = truth.traffic.rows.map((r) => ({
    at: midnight(r.day),
    source: r.source,
    visits: r.visits,
  }));
  const directContacts = truth.contacts
    .filter(live)
    .filter((c) => c.properties.hs_analytics_source === 'DIRECT_TRAFFIC')
    .map((c) => Date.parse(c.createdAt));
  const inWindow = (at: number, start: number, end: number) => at >= start && at < end;
  const figures = (start: number, end: number) => {
    const rows = traffic.filter((t) => inWindow(t.at, start, end));
    const sum = (source?: string) =>
      rows.filter((t) => source === undefined || t.source === source).reduce((a, t) => a + t.visits, 0);
    return {
      visits: rows.length > 0 ? sum() : null,
      brand_direct_visits: rows.length > 0 ? sum('DIRECT_TRAFFIC') : null,
      brand_organic_visits: rows.length > 0 ? sum('ORGANIC_SEARCH') : null,
      brand_direct_contacts: directContacts.filter((at) => inWindow(at, start, end)).length,
    };
  };
  let compared = 0;
  for (const { unit, period } of listSnapshotPeriods(NOW, timeZone)) {
    const cur = figures(period.start, period.end);
    const previousStart = listSnapshotPeriods(period.start - 1, timeZone).find(
      (p) => p.unit === unit,
    )!.period;
    const prev = figures(previousStart.start, previousStart.end);
    const key = (kpi: string) => `${kpi}|${unit}|${period.start}|all|(all sources)`;
    const label = `${unit} ${period.label}`;
    expectNear(`funnel_visits ${label}`, stored.get(key('funnel_visits'))?.value, cur.visits);
    for (const kpi of ['brand_direct_visits', 'brand_organic_visits', 'brand_direct_contacts'] as const) {
      expectNear(`${kpi} ${label}`, stored.get(key(kpi))?.value, cur[kpi]);
      const c = cur[kpi];
      const p = prev[kpi];
      expectNear(
        `${kpi}_change ${label}`,
        stored.get(key(`${kpi}_change`))?.value,
        c === null || p === null ? null : c - p,
      );
      expectNear(
        `${kpi}_change_relative ${label}`,
        stored.get(key(`${kpi}_change_relative`))?.value,
        c === null || p === null || p === 0 ? null : (c - p) / Math.abs(p),
      );
      compared++;
    }
  }
  expect(compared).toBeGreaterThan(90);
  const first = listSnapshotPeriods(NOW, timeZone)[0]!;
  expect(stored.get(`brand_branded_searches|${first.unit}|${first.period.start}|all|(all sources)`)).toEqual({
    value: null,
    reason: 'no branded search series uploaded',
  });
});
