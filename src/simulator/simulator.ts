import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import pino, { type Logger } from 'pino';
import { createAdmin, type SimulatorAdmin } from './admin';
import { createAdminRouter } from './admin-routes';
import type { PortalRuntime, SimulatorContext } from './context';
import { createCrmRouter } from './crm-routes';
import { createErrorBody } from './errors';
import { FaultState, type PortalFaults } from './faults';
import { populatePortal, type GenerationSummary } from './generator';
import { populateActivities, type ActivitySummary } from './activities';
import { createAnalyticsRouter, populateTraffic } from './analytics';
import { collectGroundTruth, type GroundTruth, type GroundTruthOptions } from './ground-truth';
import { addLatency, captureRawBody, logRequests, renderErrors } from './http-support';
import { createMetadataRouter } from './metadata-routes';
import { createPropertyWriteRouter } from './property-write-routes';
import { createOAuthRouter } from './oauth-routes';
import { OAuthServer, type SimApp } from './oauth';
import { describeUtcOffset, Portal, type Owner, type PortalSpec } from './portal';
import { createRandom, type Random } from './random';
import { PortalRateLimits } from './rate-limit';
import { RequestLog } from './request-log';
import { FIRST_NAMES, LAST_NAMES } from './sample-data';
import {
  WebhookDispatcher,
  type DeliveryRecord,
  type WebhookOptions,
  type WebhookStats,
  type WebhookSubscription,
} from './webhooks';

export type PortalGenerationSummary = GenerationSummary & ActivitySummary & { trafficRows: number };
/**
 * startSimulator: generates the portals, then serves HubSpot's APIs (and the
 * /_sim admin API) on loopback. Everything random comes from `seed`; data
 * times end at `anchor` (default: the start of the current UTC day), so the
 * same seed and anchor give the same portals.
 */
export type SimulatorAppSpec = {
  clientId: string;
  clientSecret: string;
  appId: number;
  webhookTargetUrl?: string;
  subscriptions?: WebhookSubscription[];
};

export type SimulatorOptions = {
  seed: number | string;
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** A count (ids 101, 102, …) or explicit specs. */
  portals?: number | PortalSpec[];
  /** Per portal, unless a portal spec says otherwise. Default 1000 contacts, a fifth as many deals, 1.5 meetings per deal. */
  contacts?: number;
  deals?: number;
  meetings?: number;
  latencyMs?: number;
  /** Multiplies HubSpot's limits; 0 or Infinity lifts them. Default 1. */
  rateScale?: number;
  /** How long a change takes to reach search. Default 1000 ms. */
  searchConsistencyMs?: number;
  /** Default: one app whose credentials derive from the seed. */
  apps?: SimulatorAppSpec[];
  logger?: Logger;
  now?: () => number;
  /** Where generated histories end (ms, Date or ISO string). */
  anchor?: number | Date | string;
  webhooks?: Partial<WebhookOptions>;
  requestLog?: { capacity?: number; bodyLimit?: number };
};

export type SimulatorHandle = {
  url: string;
  /** The first app's credentials (the one KPI Bridge plays). */
  app: SimApp;
  apps: readonly SimApp[];
  portals: readonly number[];
  admin: SimulatorAdmin;
  groundTruth(portalId: number, options?: GroundTruthOptions): GroundTruth;
  requestLog: RequestLog;
  faults: {
    get(portalId: number): PortalFaults;
    set(portalId: number, patch: Partial<PortalFaults>): PortalFaults;
    reset(portalId: number): void;
  };
  setWebhookTarget(url: string | null, appId?: number): void;
  webhooks: {
    getOptions(): WebhookOptions;
    setOptions(patch: Partial<WebhookOptions>): WebhookOptions;
    stats(): WebhookStats;
    deliveries(): DeliveryRecord[];
    idle(): Promise<void>;
  };
  generation: { durationMs: number; portals: Record<number, PortalGenerationSummary> };
  close(): Promise<void>;
};

const DAY = 86_400_000;
const TIME_ZONES = [
  'America/New_York',
  'Europe/Berlin',
  'Europe/London',
  'America/Los_Angeles',
  'Australia/Sydney',
];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'USD', 'AUD'];
const OTHER_CURRENCIES: Record<string, string[]> = {
  USD: ['EUR', 'GBP'],
  EUR: ['USD', 'GBP'],
  GBP: ['USD', 'EUR'],
  AUD: ['USD', 'EUR'],
};

function uuidFrom(random: Random): string {
  const h = random.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The app credentials a seed stands for, so a CLI run and a test agree without passing secrets around. */
export function deriveApp(seed: number | string): SimApp {
  const random = createRandom(`${String(seed)}/app`);
  return {
    appId: 1_000_000 + random.int(0, 8_999_999),
    clientId: uuidFrom(random),
    clientSecret: uuidFrom(random),
  };
}

function resolveAnchor(anchor: SimulatorOptions['anchor'], now: number): number {
  if (anchor === undefined) return Math.floor(now / DAY) * DAY;
  const ms =
    anchor instanceof Date ? anchor.getTime() : typeof anchor === 'string' ? Date.parse(anchor) : anchor;
  if (!Number.isFinite(ms)) throw new Error(`anchor is not a time: ${String(anchor)}`);
  return ms;
}

function createOwners(random: Random, ordinal: number, domain: string, createdAt: string): Owner[] {
  const owners: Owner[] = [];
  for (let i = 0; i < 9; i++) {
    const firstName = random.pick(FIRST_NAMES);
    const lastName = random.pick(LAST_NAMES);
    const userId = 4_100_000 + ordinal * 1000 + i * 7 + 1;
    owners.push({
      id: String(71_000_000 + ordinal * 1000 + i * 3 + 11),
      email:
        `${firstName}.${lastName}`
          .toLowerCase()
          .normalize('NFD')
          .replace(/[^a-z.]/g, '') + `@${domain}`,
      firstName,
      lastName,
      userId,
      userIdIncludingInactive: userId,
      type: 'PERSON',
      teams: [
        { id: String(3_000 + (i % 2)), name: i % 2 === 0 ? 'Sales East' : 'Sales West', primary: true },
      ],
      // The last owner left the company: archived owners still own old records.
      archived: i === 8,
      createdAt,
      updatedAt: createdAt,
    });
  }
  return owners;
}

function normalizePortalSpecs(portals: SimulatorOptions['portals']): PortalSpec[] {
  if (Array.isArray(portals)) return portals.length > 0 ? portals : [{}];
  const count = portals ?? 1;
  return Array.from({ length: Math.max(1, count) }, () => ({}));
}

export async function startSimulator(options: SimulatorOptions): Promise<SimulatorHandle> {
  const seed = String(options.seed);
  const now = options.now ?? Date.now;
  const logger = options.logger ?? pino({ level: 'silent' });
  const anchor = resolveAnchor(options.anchor, now());
  const apps: SimApp[] = (options.apps ?? [deriveApp(seed)]).map((a) => ({
    appId: a.appId,
    clientId: a.clientId,
    clientSecret: a.clientSecret,
    ...(a.webhookTargetUrl ? { webhookTargetUrl: a.webhookTargetUrl } : {}),
  }));
  const subscriptions = new Map((options.apps ?? []).map((a) => [a.appId, a.subscriptions] as const));
  const rateScale = options.rateScale ?? 1;
  const searchConsistencyMs = options.searchConsistencyMs ?? 1000;
  const root = createRandom(seed);

  const portals = new Map<number, PortalRuntime>();
  const summaries: Record<number, PortalGenerationSummary> = {};
  const started = performance.now();
  const specs = normalizePortalSpecs(options.portals);
  specs.forEach((spec, ordinal) => {
    const portalId = spec.portalId ?? 101 + ordinal;
    if (portals.has(portalId)) throw new Error(`Portal ${portalId} is listed twice`);
    const random = root.fork(`portal-${portalId}`);
    const currency = spec.companyCurrency ?? CURRENCIES[ordinal % CURRENCIES.length] ?? 'USD';
    const timeZone = spec.timeZone ?? TIME_ZONES[ordinal % TIME_ZONES.length] ?? 'UTC';
    const domain = `portal${portalId}.kpibridge-demo.example`;
    const owners = createOwners(
      random.fork('owners'),
      ordinal,
      domain,
      new Date(anchor - 800 * DAY).toISOString(),
    );
    const portal = new Portal(
      portalId,
      ordinal,
      {
        portalId,
        accountType: 'STANDARD',
        timeZone,
        companyCurrency: currency,
        additionalCurrencies: spec.additionalCurrencies ?? OTHER_CURRENCIES[currency] ?? ['USD'],
        uiDomain: 'app.hubspot.com',
        dataHostingLocation: 'na1',
        ...describeUtcOffset(timeZone, anchor),
      },
      owners,
      spec.unavailableScopes ?? [],
      searchConsistencyMs,
    );
    const contacts = spec.contacts ?? options.contacts ?? 1000;
    const deals = spec.deals ?? options.deals ?? Math.round(contacts / 5);
    const meetings = spec.meetings ?? options.meetings ?? Math.round(deals * 1.5);
    const generated = populatePortal(portal, random.fork('data'), { anchor, contacts, deals, meetings });
    // Forks of their own: the rest of the portal is the same as before activities and traffic existed.
    const activities = populateActivities(portal, random.fork('activities'), anchor);
    const trafficRows = populateTraffic(portal, random.fork('traffic'), anchor, {
      available: spec.analytics ?? true,
    });
    summaries[portalId] = { ...generated, ...activities, trafficRows };
    portals.set(portalId, {
      portal,
      faults: new FaultState(seed, portalId),
      limits: new PortalRateLimits(rateScale),
    });
  });
  const generationMs = Math.round(performance.now() - started);

  const oauth = new OAuthServer(apps, {
    now,
    portal: (portalId) => {
      const portal = portals.get(portalId)?.portal;
      const admin = portal?.owners.find((o) => !o.archived);
      return portal && admin
        ? {
            portalId,
            userId: admin.userId,
            userEmail: admin.email,
            domain: `portal${portalId}.kpibridge-demo.example`,
            unavailableScopes: portal.unavailableScopes,
          }
        : undefined;
    },
    refreshRevokedByFault: (portalId) => portals.get(portalId)?.faults.get().refreshTokenRevoked ?? false,
  });
  const webhooks = new WebhookDispatcher(
    apps,
    subscriptions,
    seed,
    now,
    logger.child({ name: 'simulator-webhooks' }),
    options.webhooks,
  );
  const context: SimulatorContext = {
    seed,
    now,
    logger,
    portals,
    oauth,
    webhooks,
    requestLog: new RequestLog(
      options.requestLog?.capacity ?? 20_000,
      options.requestLog?.bodyLimit ?? 16_384,
    ),
    latencyMs: options.latencyMs ?? 0,
    baseUrl: '',
  };
  for (const { portal } of portals.values()) portal.onChange((events) => webhooks.enqueue(portal.id, events));
  const admin = createAdmin(context);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // HubSpot counts a request against the portal's limits when it arrives, not after the latency
  // we add or the time it queues behind other requests in this process: stamped first.
  app.use((_req, res, next) => {
    res.locals.arrivedAt = context.now();
    next();
  });
  const logging = logRequests(context);
  app.use((req, res, next) => (req.path.startsWith('/_sim') ? next() : logging(req, res, next)));
  app.use(createAdminRouter(context, admin));
  app.use(createOAuthRouter(context));
  app.use(express.json({ limit: '5mb', verify: captureRawBody }));
  const latency = addLatency(context);
  app.use(['/crm', '/account-info'], latency);
  app.use(createCrmRouter(context));
  app.use(createMetadataRouter(context));
  app.use(createPropertyWriteRouter(context));
  app.use(createAnalyticsRouter(context));
  app.use((_req, res) => {
    res
      .status(404)
      .json(createErrorBody('OBJECT_NOT_FOUND', 'Not found: the simulator does not serve this path'));
  });
  app.use(renderErrors(context));

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', (error?: Error) =>
      error ? reject(error) : resolve(s),
    );
  });
  server.keepAliveTimeout = 65_000;
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  context.baseUrl = `http://${host}:${address.port}`;
  logger.info(
    { url: context.baseUrl, portals: [...portals.keys()], generationMs },
    'HubSpot simulator listening',
  );

  let closing: Promise<void> | null = null;
  return {
    url: context.baseUrl,
    app: apps[0] as SimApp,
    apps,
    portals: [...portals.keys()],
    admin,
    groundTruth: (portalId, gtOptions) => {
      const runtime = portals.get(portalId);
      if (!runtime) throw new Error(`Unknown portal ${portalId}`);
      return collectGroundTruth(runtime.portal, gtOptions);
    },
    requestLog: context.requestLog,
    faults: { get: admin.getFaults, set: admin.setFaults, reset: admin.resetFaults },
    setWebhookTarget: (url, appId) => webhooks.setTarget(url, appId),
    webhooks: {
      getOptions: admin.getWebhookOptions,
      setOptions: admin.setWebhookOptions,
      stats: admin.getWebhookStats,
      deliveries: admin.listWebhookDeliveries,
      idle: admin.flushWebhooks,
    },
    generation: { durationMs: generationMs, portals: summaries },
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        webhooks.close();
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests left hanging by the timeout fault would hold close() open; cut them after a grace period.
        setTimeout(() => server.closeAllConnections(), 250).unref();
      })),
  };
}
