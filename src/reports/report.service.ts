import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type { Executor } from '../db';
import type { ImportResult } from '../sync';
import { requireHubSpotSignature } from '../platform/http/hubspot-signature.middleware';
import type { SignatureVerifier } from '../platform/http/hubspot-signature.middleware';
import { createReportAccess } from './access';
import { cachedChart, chartKey, rememberChart, renderChartSvg } from './charts';
import { openRecordList } from './drill';
import { readFirstRunProgress } from './progress';
import type { Drill } from './drill';
import { readStoredSeries } from './report-data';
import type { UploadKind } from './upload';
import { buildView, VIEWS } from './views';
import type { ReportView, ViewName, ViewParams } from './views';

/**
 * How long a chart drawn after a KPI run stays shared in Redis: long enough for the views looked
 * at between two runs, short enough to bound Redis (about 100 kB per portal for its default views).
 */
const SHARED_CHART_TTL_S = 6 * 3600;

export interface ReportServiceDeps {
  readonly db: Executor;
  /** The sync feature's CSV import (validated, whole file or nothing, idempotent by day and source). */
  readonly importCsv: (portalId: number, kind: UploadKind, text: string) => Promise<ImportResult>;
  /** Asks for a KPI recomputation of the portal (debounced by the job registry). */
  readonly requestRecompute: (portalId: number) => Promise<unknown>;
  /** The HubSpot adapter's v3 verifier, the app's client secret and the public URL HubSpot calls. */
  readonly signature: {
    verify: SignatureVerifier;
    clientSecret: string | (() => string);
    publicBaseUrl: string;
  };
  readonly logger: Logger;
  readonly redis: Pick<Redis, 'set' | 'getdel' | 'get' | 'del' | 'mget'>;
  readonly keyPrefix: string;
  readonly publicBaseUrl: string;
  readonly secureCookies: boolean;
}

/** The reports: views over the stored KPI tables, the records behind each figure, and access links. */
export function createReportService(deps: ReportServiceDeps) {
  const access = createReportAccess(deps);
  const sharedChartKey = (key: string) => `${deps.keyPrefix}:reports:chart:${key}`;
  return {
    access,
    /** The one HubSpot signature gate in front of the app pages' JSON API; the tenant is the signed portalId. */
    signed: requireHubSpotSignature({ ...deps.signature, tenant: 'query', logger: deps.logger }),
    buildView: (portalId: number, view: ViewName, params: ViewParams) =>
      buildView(deps.db, portalId, view, params),
    /**
     * Before a page is drawn: the charts this process has not drawn yet are taken from the ones
     * the worker drew after the KPI run (`warmDefaultViews`), in one round trip. A chart's key is
     * a hash of its data, so a shared chart is never stale; Redis being down only means drawing.
     */
    async prefetchCharts(view: ReportView): Promise<void> {
      const keys = view.sections.flatMap((s) => (s.chart ? [chartKey(s.chart)] : []));
      const missing = keys.filter((k) => cachedChart(k) === undefined);
      if (missing.length === 0) return;
      try {
        const svgs = await deps.redis.mget(...missing.map(sharedChartKey));
        svgs.forEach((svg, i) => {
          if (svg !== null) rememberChart(missing[i]!, svg);
        });
      } catch (err) {
        deps.logger.debug({ err }, 'shared charts unavailable: drawing them here');
      }
    },
    /**
     * After a KPI run (the worker calls it): builds the portal's six views with the default
     * pickers, draws their charts and shares them through Redis, so that the first page view
     * after a run does not pay for drawing them. Returns the number of charts shared.
     */
    async warmDefaultViews(portalId: number): Promise<number> {
      let shared = 0;
      for (const name of VIEWS) {
        const view = await buildView(deps.db, portalId, name, {});
        for (const s of view.sections) {
          if (!s.chart) continue;
          const svg = renderChartSvg(s.chart);
          await deps.redis.set(sharedChartKey(chartKey(s.chart)), svg, 'EX', SHARED_CHART_TTL_S);
          shared++;
        }
      }
      return shared;
    },
    /** The first sync or KPI run a portal without figures waits for; undefined once it has figures. */
    firstRunProgress: (portalId: number) => readFirstRunProgress(deps.db, portalId),
    openRecordList: (portalId: number, drill: Drill) => openRecordList(deps.db, portalId, drill),
    readStoredSeries: (portalId: number) => readStoredSeries(deps.db, portalId),
    /** Stores an uploaded series, then asks for the KPIs to be recomputed with it. */
    async upload(portalId: number, kind: UploadKind, text: string): Promise<ImportResult> {
      const result = await deps.importCsv(portalId, kind, text);
      await deps.requestRecompute(portalId);
      return result;
    },
    /**
     * A one-time link for a portal that has the app installed; undefined for any other portal.
     * `query`: the view's pickers, validated by the caller, as a URL query string.
     */
    async mintLinkForPortal(portalId: number, userId: number | null = null, view = 'overview', query = '') {
      const portal = await deps.db
        .selectFrom('portals')
        .select('status')
        .where('portal_id', '=', portalId)
        .executeTakeFirst();
      if (portal?.status !== 'installed') return undefined;
      return access.mintLink({ portalId, userId }, view, query);
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;
