import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router } from 'express';
import type { RequestHandler } from 'express';
import { requireAdminToken } from '../http/admin-auth';
import { AppError } from '../http/errors';
import { QUEUE_NAMES } from './jobs';
import type { QueueName } from './jobs';
import type { Producer } from './producer';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

class DashboardReadOnlyError extends AppError {
  constructor(message: string) {
    super(405, 'read_only', message);
  }
}

// The only writes the dashboard lets through (paths relative to QUEUE_DASHBOARD_PATH).
const RETRY_ALL_FAILED = /^\/api\/queues\/([^/]+)\/retry\/failed\/?$/;
const RETRY_ONE = /^\/api\/queues\/([^/]+)\/([^/]+)\/retry\/?$/;

function decoded(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * Read and retry, nothing else: GET/HEAD pass, and PUTs that retry failed jobs (one, or
 * all failed jobs of a queue). Pausing, adding, editing, promoting, cleaning, emptying and
 * obliterating are refused here, before bull-board, so a route a later bull-board adds is
 * refused too. bull-board's own retry routes would also re-run completed jobs; we allow
 * failed ones only (a completed sync or KPI run is re-requested through the app, not here).
 */
function readAndRetryOnly(producer: Producer): RequestHandler {
  const names = new Set<string>(QUEUE_NAMES);
  return async (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    const refuse = () => {
      res.setHeader('Allow', 'GET, HEAD');
      next(
        new DashboardReadOnlyError(
          'the queue dashboard is read-only: it changes no queue; only failed jobs can be retried',
        ),
      );
    };
    if (req.method !== 'PUT') return refuse();
    const all = RETRY_ALL_FAILED.exec(req.path);
    if (all) return names.has(decoded(all[1]!) ?? '') ? next() : refuse();
    const one = RETRY_ONE.exec(req.path);
    const queueName = one ? decoded(one[1]!) : undefined;
    const jobId = one ? decoded(one[2]!) : undefined;
    if (!queueName || !jobId || !names.has(queueName)) return refuse();
    try {
      const job = await producer.queue(queueName as QueueName).getJob(jobId);
      if (job && (await job.getState()) === 'failed') return next();
      refuse();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * bull-board's queue dashboard for operators (jobs per state, retries, failures) at
 * /admin/queues, behind ADMIN_TOKEN. Read and retry only (see readAndRetryOnly): job
 * payloads carry ids, never tokens, so nothing secret is shown.
 */
export function createQueueDashboardRouter(deps: {
  producer: Producer;
  adminToken: string | undefined;
}): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    // bull-board's UI still shows pause, add, clean…: those buttons get the guard's 405.
    queues: QUEUE_NAMES.map((name) => new BullMQAdapter(deps.producer.queue(name))),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'KPI Bridge queues' } },
  });
  const router = Router();
  router.use(
    QUEUE_DASHBOARD_PATH,
    requireAdminToken(deps.adminToken),
    readAndRetryOnly(deps.producer),
    serverAdapter.getRouter() as Router,
  );
  return router;
}
