import type { Logger } from 'pino';
import type { FaultState } from './faults';
import type { OAuthServer } from './oauth';
import type { Portal } from './portal';
import type { PortalRateLimits } from './rate-limit';
import type { RequestLog } from './request-log';
import type { WebhookDispatcher } from './webhooks';

/** What every route and admin function of one simulator instance shares. */
export type PortalRuntime = { portal: Portal; faults: FaultState; limits: PortalRateLimits };

export type SimulatorContext = {
  seed: string;
  now: () => number;
  logger: Logger;
  portals: Map<number, PortalRuntime>;
  oauth: OAuthServer;
  webhooks: WebhookDispatcher;
  requestLog: RequestLog;
  /** Added before every HubSpot API answer (not the admin routes). */
  latencyMs: number;
  /** Filled once the server listens; used for paging links. */
  baseUrl: string;
};

export function requirePortal(context: SimulatorContext, portalId: number): PortalRuntime {
  const runtime = context.portals.get(portalId);
  if (!runtime)
    throw new Error(
      `Unknown portal ${portalId}; the simulator has ${[...context.portals.keys()].join(', ')}`,
    );
  return runtime;
}
