import { Redis } from 'ioredis';
import { createHubSpotClientFactory } from '../../../src/hubspot/client';
import type { HubSpotClientFactory } from '../../../src/hubspot/client';
import { createRedisRateBudget } from '../../../src/hubspot/rate-budget.redis';
import type { RedisRateBudget } from '../../../src/hubspot/rate-budget.redis';
import type { Database } from '../../../src/db';
import { startSimulator } from '../../../src/simulator';
import type { SimulatorHandle, SimulatorOptions } from '../../../src/simulator';
import { silentLogger, TEST_REDIS_URL } from '../../helpers/test-context';

/**
 * The sync's world in tests: the simulator on loopback, the real adapter with the Redis
 * budget, and tokens issued by the simulator (what an install would have stored).
 */
export type SyncWorld = {
  sim: SimulatorHandle;
  hubspot: HubSpotClientFactory;
  budget: RedisRateBudget;
  redis: Redis;
  close(): Promise<void>;
};

export async function startSyncWorld(
  options: Partial<SimulatorOptions> & { prefix: string; maxAttempts?: number },
): Promise<SyncWorld> {
  const { prefix, maxAttempts, ...simOptions } = options;
  const sim = await startSimulator({
    seed: 'sync-tests',
    anchor: '2026-11-01T00:00:00Z',
    contacts: 60,
    ...simOptions,
  });
  const redis = new Redis(TEST_REDIS_URL);
  const budget = createRedisRateBudget({ redis, prefix });
  const tokens = new Map<number, string>();
  const hubspot = createHubSpotClientFactory({
    apiBaseUrl: sim.url,
    getAccessToken: (portalId, opts) => {
      const known = tokens.get(portalId);
      if (known && known !== opts?.invalidToken) return Promise.resolve(known);
      const issued = sim.admin.issueTokens(portalId).access_token;
      tokens.set(portalId, issued);
      return Promise.resolve(issued);
    },
    rateBudget: budget,
    logger: silentLogger(),
    fetchTimeoutMs: 2_000,
    ...(maxAttempts ? { maxAttempts } : {}),
  });
  return {
    sim,
    hubspot,
    budget,
    redis,
    async close() {
      await sim.close();
      await redis.quit();
    },
  };
}

export async function insertPortal(db: Database, portalId: number): Promise<void> {
  await db
    .insertInto('portals')
    .values({ portal_id: portalId, status: 'installed', installed_at: new Date(), time_zone: 'UTC' })
    .onConflict((oc) => oc.column('portal_id').doNothing())
    .execute();
}

type Random = { next(): number };

/** A small deterministic PRNG (mulberry32), so a failing run can be replayed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

const SOURCES = ['ORGANIC_SEARCH', 'PAID_SEARCH', 'EMAIL_MARKETING', 'DIRECT_TRAFFIC', 'REFERRALS'];
const STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'closedwon',
  'closedlost',
  '75318643',
  '75318647',
];
const LIFECYCLE = ['lead', 'marketingqualifiedlead', 'salesqualifiedlead', 'opportunity', 'customer'];

/**
 * Random changes through the simulator's admin API (each fires webhooks as HubSpot would):
 * creates, updates, stage moves, merges, deletes, restores and association changes.
 * Returns how many were applied by kind.
 */
export function mutateRandomly(
  sim: SimulatorHandle,
  portalId: number,
  count: number,
  seed: number,
): Record<string, number> {
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T | undefined => items[Math.floor(random.next() * items.length)];
  const applied: Record<string, number> = {};
  let made = 0;
  for (let attempt = 0; made < count && attempt < count * 5; attempt++) {
    const truth = sim.groundTruth(portalId, { includeHistory: false });
    const contacts = truth.contacts.filter((c) => !c.archived && c.mergedInto === null).map((c) => c.id);
    const deals = truth.deals.filter((d) => !d.archived && d.mergedInto === null).map((d) => d.id);
    const meetings = truth.meetings.filter((m) => !m.archived).map((m) => m.id);
    const r = random.next();
    let kind: string;
    try {
      if (r < 0.1) {
        kind = 'createContact';
        const source = pick(SOURCES) ?? 'DIRECT_TRAFFIC';
        sim.admin.createRecord(portalId, 'contacts', {
          email: `new${attempt}-${seed}@example.com`,
          lifecyclestage: 'lead',
          hs_analytics_source: source,
          hs_latest_source: source,
        });
      } else if (r < 0.17) {
        kind = 'createDeal';
        const contact = pick(contacts);
        sim.admin.createRecord(
          portalId,
          'deals',
          {
            dealname: `Deal ${attempt}`,
            amount: String(1000 + attempt),
            pipeline: 'default',
            dealstage: 'appointmentscheduled',
          },
          contact ? { associations: [{ objectType: 'contacts', id: contact }] } : {},
        );
      } else if (r < 0.37) {
        kind = 'updateContact';
        const id = pick(contacts);
        if (!id) continue;
        const p = random.next();
        sim.admin.updateRecord(
          portalId,
          'contacts',
          id,
          p < 0.4
            ? { lifecyclestage: pick(LIFECYCLE) ?? 'lead' }
            : p < 0.7
              ? { hs_latest_source: pick(SOURCES) ?? 'DIRECT_TRAFFIC' }
              : { jobtitle: `Title ${attempt}` },
        );
      } else if (r < 0.52) {
        kind = 'updateDeal';
        const id = pick(deals);
        if (!id) continue;
        sim.admin.updateRecord(
          portalId,
          'deals',
          id,
          random.next() < 0.5
            ? { amount: String(Math.round(random.next() * 90_000) + 500) }
            : { dealname: `Renamed ${attempt}` },
        );
      } else if (r < 0.67) {
        kind = 'moveStage';
        const id = pick(deals);
        if (!id) continue;
        sim.admin.moveDealStage(portalId, id, pick(STAGES) ?? 'qualifiedtobuy');
      } else if (r < 0.72) {
        kind = 'mergeContacts';
        const a = pick(contacts);
        const b = pick(contacts);
        if (!a || !b || a === b) continue;
        sim.admin.mergeRecords(portalId, 'contacts', a, b);
      } else if (r < 0.74) {
        kind = 'mergeDeals';
        const a = pick(deals);
        const b = pick(deals);
        if (!a || !b || a === b) continue;
        sim.admin.mergeRecords(portalId, 'deals', a, b);
      } else if (r < 0.8) {
        kind = 'delete';
        const type = random.next() < 0.5 ? 'contacts' : 'deals';
        const id = pick(type === 'contacts' ? contacts : deals);
        if (!id) continue;
        sim.admin.archiveRecord(portalId, type, id);
      } else if (r < 0.9) {
        kind = 'dealAssociation';
        const deal = pick(deals);
        const contact = pick(contacts);
        if (!deal || !contact) continue;
        const remove = random.next() < 0.5;
        const changed = remove
          ? sim.admin.removeAssociation(
              portalId,
              { objectType: 'deals', id: deal },
              { objectType: 'contacts', id: contact },
            )
          : sim.admin.addAssociation(
              portalId,
              { objectType: 'contacts', id: contact },
              { objectType: 'deals', id: deal },
            );
        if (!changed) continue;
      } else {
        kind = 'meetingAssociation';
        const meeting = pick(meetings);
        const contact = pick(contacts);
        if (!meeting || !contact) continue;
        const changed =
          random.next() < 0.5
            ? sim.admin.removeAssociation(
                portalId,
                { objectType: 'contacts', id: contact },
                { objectType: 'meetings', id: meeting },
              )
            : sim.admin.addAssociation(
                portalId,
                { objectType: 'contacts', id: contact },
                { objectType: 'meetings', id: meeting },
              );
        if (!changed) continue;
      }
      applied[kind] = (applied[kind] ?? 0) + 1;
      made++;
    } catch {
      // A mutation the simulator refuses (say, a merge of a record merged a moment ago) is skipped.
    }
  }
  return applied;
}
