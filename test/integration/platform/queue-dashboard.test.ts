import { createApp } from '../../../src/platform/http/app';
import { createQueueDashboardRouter } from '../../../src/platform/queue/dashboard.routes';
import { createSyncAdminRouter } from '../../../src/sync/admin.routes';
import { createTestContext, silentLogger } from '../../helpers/test-context';
import type { TestContext } from '../../helpers/test-context';
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
});
