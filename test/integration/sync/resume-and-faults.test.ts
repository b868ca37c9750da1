import { spawn } from 'node:child_process';
import path from 'node:path';
import { compareWithGroundTruth } from '../../../src/sync/compare';
import { runFullSync } from '../../../src/sync/full-sync';
import {
  createTestContext,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  type TestContext,
} from '../../helpers/test-context';
import { TS_LOADER } from './child-full-sync';
import { insertPortal, startSyncWorld, type SyncWorld } from './helpers';

const PORTAL = 101;

/** One key per page a stream reads: the list cursor, or the search keyset's lower bound. */
function pageKey(entry: {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  body: string | null;
}): string | null {
  if (entry.method === 'GET' && /\/crm\/objects\/[^/]+\/(contacts|deals)$/.test(entry.path))
    return `${entry.path}?after=${String(entry.query.after ?? '')}`;
  if (entry.method === 'POST' && entry.path.endsWith('/meetings/search') && entry.body) {
    const body = JSON.parse(entry.body) as {
      limit?: number;
      filterGroups?: { filters: { value?: string }[] }[];
    };
    if (body.limit === 1) return null;
    return `meetings>${body.filterGroups?.[0]?.filters[0]?.value ?? ''}`;
  }
  return null;
}

describe('full sync: a killed worker resumes; faults do not change the result', () => {
  let ctx: TestContext;
  let world: SyncWorld;

  beforeAll(async () => {
    ctx = await createTestContext();
    world = await startSyncWorld({
      prefix: ctx.config.queue.prefix,
      contacts: 700,
      deals: 120,
      meetings: 500,
      latencyMs: 30,
      maxAttempts: 8,
    });
    await insertPortal(ctx.db, PORTAL);
  });

  afterAll(async () => {
    await world.close();
    await ctx.cleanup();
  });

  it('after SIGKILL mid-sync, a new run resumes and ends in an exact match, re-reading at most one page per stream', async () => {
    const child = spawn(process.execPath, ['-e', TS_LOADER, path.join(__dirname, 'child-full-sync.ts')], {
      env: {
        ...process.env,
        SYNC_DB_URL: TEST_DATABASE_URL,
        SYNC_DB_SCHEMA: ctx.config.db.schema ?? '',
        SYNC_REDIS_URL: TEST_REDIS_URL,
        SYNC_PREFIX: ctx.config.queue.prefix,
        SYNC_API_URL: world.sim.url,
        SYNC_ACCESS_TOKEN: world.sim.admin.issueTokens(PORTAL).access_token,
        SYNC_PORTAL: String(PORTAL),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );

    // Kill once several pages are checkpointed, with streams still running.
    const until = Date.now() + 20_000;
    for (;;) {
      const row = await ctx.db
        .selectFrom('sync_state')
        .select((eb) => eb.fn.sum<number>('pages').as('pages'))
        .where('portal_id', '=', PORTAL)
        .where('stream', 'like', 'contacts#%')
        .executeTakeFirst();
      if (Number(row?.pages ?? 0) >= 4) break;
      if (Date.now() > until) throw new Error(`child made no progress: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill('SIGKILL');
    expect((await exited).signal).toBe('SIGKILL');

    const before = await ctx.db
      .selectFrom('sync_state')
      .selectAll()
      .where('portal_id', '=', PORTAL)
      .execute();
    expect(before.find((s) => s.stream === 'full')?.status).toBe('running');
    expect(before.some((s) => s.stream.startsWith('contacts#') && s.status === 'running')).toBe(true);

    await runFullSync({ db: ctx.db, hubspot: world.hubspot, logger: ctx.logger }, PORTAL);
    expect((await compareWithGroundTruth(ctx.db, PORTAL, world.sim.groundTruth(PORTAL))).differences).toEqual(
      [],
    );

    const reads = new Map<string, number>();
    for (const entry of world.sim.requestLog.list({ portalId: PORTAL })) {
      if (entry.status !== 200) continue;
      const key = pageKey(entry);
      if (key) reads.set(key, (reads.get(key) ?? 0) + 1);
    }
    const reread = [...reads.entries()].filter(([, n]) => n > 1);
    expect(reread.every(([, n]) => n === 2)).toBe(true);
    // Three contact segments, two deal segments and meetings: at most one page each.
    expect(reread.length).toBeLessThanOrEqual(6);
  }, 90_000);

  it('with 20 % of answers injected as 429 or 5xx, a full sync still ends in an exact match', async () => {
    const seqBefore = world.sim.requestLog.list().at(-1)?.seq ?? 0;
    world.sim.faults.set(PORTAL, { errorRate: 0.1, errorStatus: 503, rateLimitRate: 0.1, latencyMs: 0 });
    try {
      await runFullSync({ db: ctx.db, hubspot: world.hubspot, logger: ctx.logger }, PORTAL, {
        restart: true,
      });
    } finally {
      world.sim.faults.reset(PORTAL);
    }
    const log = world.sim.requestLog.list({ portalId: PORTAL }).filter((e) => e.seq > seqBefore);
    const injected = log.filter((e) => e.status === 503 || e.status === 429).length;
    expect(injected / log.length).toBeGreaterThan(0.05);
    expect(injected).toBeGreaterThan(0);
    expect((await compareWithGroundTruth(ctx.db, PORTAL, world.sim.groundTruth(PORTAL))).differences).toEqual(
      [],
    );
  }, 120_000);
});
