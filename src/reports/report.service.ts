import type { Redis } from 'ioredis';

import type { Executor } from '../db';
import { createReportAccess } from './access';
import { openRecordList } from './drill';
import type { Drill } from './drill';
import { buildView } from './views';
import type { ViewName, ViewParams } from './views';

export interface ReportServiceDeps {
  readonly db: Executor;
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
    buildView: (portalId: number, view: ViewName, params: ViewParams) =>
      buildView(deps.db, portalId, view, params),
    openRecordList: (portalId: number, drill: Drill) => openRecordList(deps.db, portalId, drill),
    /** A one-time link for a portal that has the app installed; undefined for any other portal. */
    async mintLinkForPortal(portalId: number, userId: number | null = null, view = 'overview') {
      const portal = await deps.db
        .selectFrom('portals')
        .select('status')
        .where('portal_id', '=', portalId)
        .executeTakeFirst();
      if (portal?.status !== 'installed') return undefined;
      return access.mintLink({ portalId, userId }, view);
    },
  };
}

export type ReportService = ReturnType<typeof createReportService>;
