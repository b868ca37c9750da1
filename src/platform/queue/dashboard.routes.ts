import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router } from 'express';
import { requireAdminToken } from '../http/admin-auth';
import { QUEUE_NAMES } from './jobs';
import type { Producer } from './producer';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * bull-board's queue dashboard for operators (jobs per state, retries, failures) at
 * /admin/queues, behind ADMIN_TOKEN. Read and retry only: job payloads carry ids, never
 * tokens, so nothing secret is shown.
 */
export function createQueueDashboardRouter(deps: {
  producer: Producer;
  adminToken: string | undefined;
}): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.producer.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'KPI Bridge queues' } },
  });
  const router = Router();
  router.use(QUEUE_DASHBOARD_PATH, requireAdminToken(deps.adminToken), serverAdapter.getRouter() as Router);
  return router;
}
