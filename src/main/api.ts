import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCardsRouter } from '../cards';
import type { AppContext } from '../context';
import { createApp } from '../platform/http/app';
import { createHealthRouter } from '../platform/http/health.routes';
import { createOAuthRouter } from '../install/oauth.routes';
import { createSyncAdminRouter } from '../sync/admin.routes';
import { createQueueDashboardRouter } from '../platform/queue/dashboard.routes';
import { createWebhookRouter } from '../sync/webhook.routes';
import { createReportsRouter } from '../reports';

export type ApiHandle = { server: Server; url: string; close(): Promise<void> };

/**
 * Serves HTTP until close(): then stops accepting, lets in-flight requests end, and returns.
 * Mounts routers only: every service they use comes built from the context (src/context.ts).
 */
export async function startApi(ctx: AppContext): Promise<ApiHandle> {
  const app = createApp({
    logger: ctx.logger,
    bodyLimit: ctx.config.http.bodyLimit,
    trustProxy: ctx.config.http.trustProxy,
    routers: [
      createHealthRouter(ctx.readinessChecks, { logger: ctx.logger }),
      createOAuthRouter({
        install: ctx.install,
        secureCookies: ctx.config.http.publicBaseUrl.startsWith('https://'),
        logger: ctx.logger,
      }),
      createWebhookRouter({
        intake: ctx.webhookIntake,
        clientSecret: ctx.config.hubspot.clientSecret,
        publicBaseUrl: ctx.config.http.publicBaseUrl,
        logger: ctx.logger,
      }),
      createCardsRouter(ctx.cards),
      createSyncAdminRouter({ db: ctx.db, adminToken: ctx.config.admin.token }),
      createQueueDashboardRouter({ producer: ctx.producer, adminToken: ctx.config.admin.token }),
      createReportsRouter({ reports: ctx.reports, logger: ctx.logger }),
    ],
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(ctx.config.http.port, ctx.config.http.host, (err?: Error) =>
      err ? reject(err) : resolve(s),
    );
  });
  // Keep-alive sockets would otherwise hold close() open until they time out.
  server.keepAliveTimeout = 5_000;
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;
  ctx.logger.child({ name: 'api' }).info({ url }, 'api listening');

  async function close(): Promise<void> {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
  }
  return { server, url, close };
}
