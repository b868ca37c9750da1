import type { Job } from 'bullmq';
import { HUBSPOT_PATHS } from '../../../src/hubspot/endpoints';
import { purgePortal } from '../../../src/install/purge';
import { removeQueuedJobsOfPortal } from '../../../src/install/portal-jobs';
import { startWorker } from '../../../src/main/worker';
import { QUEUE_NAMES } from '../../../src/platform/queue/jobs';
import type { WorkerGroup } from '../../../src/platform/queue/worker-runner';
import { installIntoSimulator } from '../../../src/simulator/browser-install';
import { z } from 'zod';
import { startInstallHarness } from './helpers';
import type { InstallHarness } from './helpers';

/**
 * Uninstall and purge leave nothing of a portal in Redis (pending refreshes, webhook
 * dedupe marks, rate windows, jobs), and a job of a portal that is gone fails once
 * instead of burning its ten attempts.
 */
let h: InstallHarness;
let worker: WorkerGroup | undefined;

beforeAll(async () => {
  h = await startInstallHarness({ portals: 2 });
  for (const portalId of [101, 102]) await installIntoSimulator({ apiUrl: h.api.url, portalId });
  // The full syncs the installs queued are not this test's business.
  for (const portalId of [101, 102])
    await (await h.ctx.producer.queue('sync').getJob(`sync-${portalId}-full`))?.remove();
});
afterAll(async () => {
  await worker?.close(5_000);
  await h.cleanup();
});

/** Every key under our prefix that names the portal: the app's own keys, or a job whose payload names it. */
async function redisTracesOf(portalId: number): Promise<string[]> {
  const prefix = h.ctx.config.queue.prefix;
  const traces: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await h.ctx.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const segments = key.slice(prefix.length + 1).split(':');
      const queueKey = (QUEUE_NAMES as readonly string[]).includes(segments[0]!);
      if (segments.slice(queueKey ? 2 : 1).includes(String(portalId))) traces.push(key);
      else if (queueKey && (await h.ctx.redis.type(key)) === 'hash') {
        const data = await h.ctx.redis.hget(key, 'data');
        if (data && (JSON.parse(data) as { portalId?: unknown }).portalId === portalId) traces.push(key);
      }
    }
  } while (cursor !== '0');
  return traces.sort();
}

const event = (portalId: number, objectId: number) => ({
  portalId,
  objectId,
  subscriptionType: 'contact.propertyChange',
  propertyName: 'lifecyclestage',
  propertyValue: 'lead',
  occurredAt: Date.now(),
  subscriptionId: 1,
  eventId: objectId,
});

async function waitFor(probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('a refresh job of an uninstalled portal fails once, and uninstall + purge leave nothing of the portal in Redis', async () => {
  // Traces of both portals: pending refreshes and dedupe marks (webhooks), rate windows (API calls), queued jobs.
  for (const portalId of [101, 102]) {
    await h.ctx.webhookIntake.accept([event(portalId, 1), event(portalId, 2)]);
    await h.ctx.hubspot
      .forPortal(portalId)
      .request({ method: 'GET', path: HUBSPOT_PATHS.owners() }, z.unknown());
  }
  await h.ctx.producer.enqueue(
    'kpi.compute',
    { portalId: 101 },
    { jobId: 'kpi-101-later', delay: 3_600_000 },
  );
  expect((await redisTracesOf(101)).length).toBeGreaterThanOrEqual(4);
  const traces102 = await redisTracesOf(102);
  expect(traces102.some((k) => k.endsWith(':sync:pending:102'))).toBe(true);

  // The admin uninstalls: HubSpot refuses the refresh token from now on.
  h.sim.faults.set(101, { refreshTokenRevoked: true });
  await h.ctx.db
    .updateTable('oauth_tokens')
    .set({ access_token_expires_at: new Date(Date.now() - 1_000) })
    .where('portal_id', '=', 101)
    .execute();
  const [objectsJob] = (await h.ctx.producer.queue('sync-live').getJobs(['delayed', 'waiting'])).filter(
    (j: Job) => (j.data as { portalId: number }).portalId === 101,
  );
  expect(objectsJob).toBeDefined();
  await objectsJob!.promote().catch(() => undefined);

  worker = startWorker(h.ctx, { queues: ['sync-live'] });
  const queue = h.ctx.producer.queue('sync-live');
  await waitFor(async () => (await queue.getJob(objectsJob!.id!))?.failedReason !== undefined);
  const failed = (await queue.getJob(objectsJob!.id!))!;
  expect(await failed.getState()).toBe('failed');
  expect(failed.attemptsMade).toBe(1);
  expect(failed.opts.attempts).toBe(10);
  expect(failed.failedReason).toMatch(/portal 101 .*uninstalled/);
  const portal = await h.ctx.db
    .selectFrom('portals')
    .selectAll()
    .where('portal_id', '=', 101)
    .executeTakeFirstOrThrow();
  expect(portal.status).toBe('uninstalled');
  // Uninstall already dropped the pending set, the dedupe marks and the queued KPI run; no sync_state row was written.
  const afterUninstall = await redisTracesOf(101);
  expect(afterUninstall.filter((k) => /:sync:(pending|seen):101/.test(k))).toEqual([]);
  expect(await h.ctx.producer.queue('kpi').getJob('kpi-101-later')).toBeUndefined();
  expect(await h.ctx.db.selectFrom('sync_state').selectAll().where('portal_id', '=', 101).execute()).toEqual(
    [],
  );

  // The purge (what `kpi-bridge purge` and the daily job run) removes the rest: the failed job included.
  await removeQueuedJobsOfPortal(h.ctx.producer, 101);
  await purgePortal(h.ctx.db, 101);
  expect(await redisTracesOf(101)).toEqual([]);
  // The other portal keeps everything.
  expect(await redisTracesOf(102)).toEqual(
    expect.arrayContaining(traces102.filter((k) => k.includes(':sync:'))),
  );
  h.sim.faults.reset(101);
});
