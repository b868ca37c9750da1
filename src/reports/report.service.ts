import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type { Executor } from '../db';
import type { ImportResult } from '../sync';
import { requireHubSpotSignature } from '../platform/http/hubspot-signature.middleware';
import type { SignatureVerifier } from '../platform/http/hubspot-signature.middleware';
import { createReportAccess } from './access';
import { openRecordList } from './drill';
import { readFirstRunProgress } from './progress';
import type { Drill } from './drill';
import { readStoredSeries } from './report-data';
import type { UploadKind } from './upload';
import { buildView } from './views';
import type { ViewName, ViewParams } from './views';

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
  readonly redis: Pick<Redis, 'set' | 'getdel' | 'get' | 'del'>;
  readonly keyPrefix: string;
  readonly publicBaseUrl: string;
  readonly secureCookies: boolean;
}

/** The reports: views over the stored KPI tables, the records behind each figure, and access links. */
export function createReportService(deps: ReportServiceDeps) {
  const access = createReportAccess(deps);
  return {
    access,
    /** The one HubSpot signature gate in front of the app pages' JSON API; the tenant is the signed portalId. */
    signed: requireHubSpotSignature({ ...deps.signature, tenant: 'query', logger: deps.logger }),
    buildView: (portalId: number, view: ViewName, params: ViewParams) =>
      buildView(deps.db, portalId, view, params),
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
