import { createApp } from '../../../src/platform/http/app';
import { createQueueDashboardRouter } from '../../../src/platform/queue/dashboard.routes';
import { createSyncAdminRouter } from '../../../src/sync/admin.routes';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
import { Worker } from 'bullmq';
import { createRedis } from '../../../src/platform/queue/connection';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

async function serve(ctx: TestContext, adminToken: string | undefined) {
  const app = createApp({
    logger: silentLogger(),
    bodyLimit: '1mb',
    trustProxy: false,
    routers: [
      createQueueDashboardRouter({ producer: ctx.producer, adminToken }),
      createSyncAdminRouter({ db: ctx.db, adminToken }),
    ],
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('operator pages (queue dashboard, sync status)', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.cleanup());

  it('does not exist without an admin token configured', async () => {
    const s = await serve(ctx, undefined);
    try {
      expect((await fetch(`${s.base}/admin/queues`)).status).toBe(404);
      expect((await fetch(`${s.base}/admin/sync/status`)).status).toBe(404);
    } finally {
      await s.close();
    }
  });

  it('asks for the admin token, and shows the queues and their jobs to whoever has it', async () => {
    const s = await serve(ctx, 'op-s3cret');
    try {
      const anonymous = await fetch(`${s.base}/admin/queues`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic /);
      const wrong = await fetch(`${s.base}/admin/queues`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);

      await ctx.producer.enqueue('health', { requestedAt: new Date().toISOString() });
      const basic = `Basic ${Buffer.from('ops:op-s3cret').toString('base64')}`;
      const page = await fetch(`${s.base}/admin/queues`, { headers: { authorization: basic } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('KPI Bridge queues');
      const api = await fetch(`${s.base}/admin/queues/api/queues?activeQueue=system&status=waiting&page=1`, {
        headers: { authorization: 'Bearer op-s3cret' },
      });
      expect(api.status).toBe(200);
      const body = (await api.json()) as { queues: { name: string; counts: Record<string, number> }[] };
      expect(body.queues.map((q) => q.name)).toEqual(expect.arrayContaining(['system', 'sync', 'kpi']));
      expect(body.queues.find((q) => q.name === 'system')?.counts.waiting).toBe(1);

      expect((await fetch(`${s.base}/admin/sync/status`)).status).toBe(401);
      const status = await fetch(`${s.base}/admin/sync/status`, {
        headers: { authorization: 'Bearer op-s3cret' },
      });
      expect(status.status).toBe(200);
      expect(await status.json()).toEqual({ portals: [] });
      const bad = await fetch(`${s.base}/admin/sync/status?portalId=abc`, {
        headers: { authorization: basic },
      });
      expect(bad.status).toBe(400);
    } finally {
      await s.close();
    }
  });

  it('is read-and-retry only: pause, resume, add, clean, empty, obliterate and edits are refused; a failed job can be retried', async () => {
    const s = await serve(ctx, 'op-s3cret');
    const auth = { authorization: 'Bearer op-s3cret', 'content-type': 'application/json' };
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${s.base}/admin/queues/api${path}`, {
        method,
        headers: auth,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const queue = ctx.producer.queue('system');
    try {
      // A failed job, as a worker would leave it, and a waiting one.
      const failed = await ctx.producer.enqueue('health', { requestedAt: new Date().toISOString() });
      const connection = createRedis(ctx.config.redis.url, 'worker');
      const worker = new Worker('system', () => Promise.reject(new Error('boom')), {
        connection,
        prefix: ctx.config.queue.prefix,
      });
      try {
        for (let i = 0; i < 100 && (await queue.getJobCounts('failed')).failed === 0; i++)
          await new Promise((r) => setTimeout(r, 50));
      } finally {
        await worker.close();
        await connection.quit();
      }
      expect(await (await queue.getJob(failed.id!))!.getState()).toBe('failed');
      const waiting = await ctx.producer.enqueue('health', { requestedAt: new Date().toISOString() });
      const before = await queue.getJobCounts();

      for (const [method, path, body] of [
        ['PUT', '/queues/pause'],
        ['PUT', '/queues/system/pause'],
        ['PUT', '/queues/resume'],
        ['POST', '/queues/system/add', { name: 'health', data: { requestedAt: new Date().toISOString() } }],
        ['PUT', '/queues/system/clean/failed'],
        ['PUT', '/queues/system/empty'],
        ['PUT', '/queues/system/obliterate'],
        ['PUT', '/queues/system/retry/completed'],
        ['PUT', `/queues/system/${waiting.id}/promote`],
        ['PUT', `/queues/system/${waiting.id}/clean`],
        ['PATCH', `/queues/system/${waiting.id}/update-data`, { data: {} }],
        ['PUT', `/queues/system/${waiting.id}/retry`],
        ['DELETE', `/queues/system/${waiting.id}`],
      ] as [string, string, unknown?][]) {
        const res = await call(method, path, body);
        expect([method, path, res.status]).toEqual([method, path, 405]);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('read_only');
      }
      expect(await queue.isPaused()).toBe(false);
      expect(await queue.getJobCounts()).toEqual(before);

      const retried = await call('PUT', `/queues/system/${failed.id}/retry`);
      expect(retried.status).toBe(204);
      expect(await (await queue.getJob(failed.id!))!.getState()).toBe('waiting');
    } finally {
      await s.close();
    }
  });
});
