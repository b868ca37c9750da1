import { QueueEvents } from 'bullmq';
import { PURGE_SCHEDULER_ID, scheduleRecurringJobs, startWorker } from '../../../src/main/worker';
import { scheduleCatchup } from '../../../src/sync/sync-queue';
import { createTestContext } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';

const DAY = 86_400_000;

describe('recurring jobs', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ UNINSTALL_GRACE_DAYS: '30' });
  });
  afterAll(async () => {
    await ctx.cleanup();
  });

  async function insertPortal(
    portalId: number,
    status: 'installed' | 'uninstalled',
    uninstalledDaysAgo?: number,
  ) {
    await ctx.db
      .insertInto('portals')
      .values({
        portal_id: portalId,
        status,
        installed_at: new Date(Date.now() - 100 * DAY),
        uninstalled_at:
          uninstalledDaysAgo === undefined ? null : new Date(Date.now() - uninstalledDaysAgo * DAY),
      })
      .execute();
    await ctx.db
      .insertInto('contacts')
      .values({ portal_id: portalId, contact_id: 1, created_at: new Date(), updated_at: new Date() })
      .execute();
  }

  it('schedules the daily purge once, however many workers start', async () => {
    await scheduleRecurringJobs(ctx);
    await scheduleRecurringJobs(ctx);
    const schedulers = await ctx.producer.queue('system').getJobSchedulers();
    expect(schedulers.filter((s) => s.key === PURGE_SCHEDULER_ID)).toHaveLength(1);
    expect(schedulers[0]).toMatchObject({ name: 'install.purge-due', pattern: '17 3 * * *' });
  });

  it('the purge job deletes portals past the grace period and keeps the others', async () => {
    await insertPortal(501, 'uninstalled', 31);
    await insertPortal(502, 'uninstalled', 2);
    await insertPortal(503, 'installed');
    const events = new QueueEvents('system', {
      connection: { url: ctx.config.redis.url },
      prefix: ctx.config.queue.prefix,
    });
    await scheduleCatchup(ctx.producer, 501);
    await scheduleCatchup(ctx.producer, 502);
    const workers = startWorker(ctx, { queues: ['system'] });
    try {
      const job = await ctx.producer.enqueue('install.purge-due', {});
      expect(await job.waitUntilFinished(events, 10_000)).toEqual({ purged: [501] });
    } finally {
      await workers.close(5_000);
      await events.close();
    }
    const left = await ctx.db.selectFrom('contacts').select('portal_id').orderBy('portal_id').execute();
    expect(left.map((r) => r.portal_id)).toEqual([502, 503]);
    // The purged portal's recurring catch-up is gone; the kept portal's stays.
    const catchups = await ctx.producer.queue('sync-live').getJobSchedulers();
    expect(catchups.map((s) => (s.template?.data as { portalId: number }).portalId)).toEqual([502]);
  });
});
