import { sql } from 'kysely';
import type { Executor } from '../db';
import type { PortalRow } from './install.tables';

/** Portals (tenants): one row per HubSpot account that installed the app. */
export async function upsertInstalledPortal(
  db: Executor,
  portalId: number,
  details: { hubDomain: string | null; timeZone: string | null; companyCurrency: string | null; now: Date },
): Promise<{ reinstall: boolean }> {
  const row = await db
    .insertInto('portals')
    .values({
      portal_id: portalId,
      status: 'installed',
      hub_domain: details.hubDomain,
      time_zone: details.timeZone,
      company_currency: details.companyCurrency,
      installed_at: details.now,
      uninstalled_at: null,
    })
    .onConflict((oc) =>
      oc.column('portal_id').doUpdateSet({
        status: 'installed',
        hub_domain: details.hubDomain,
        time_zone: details.timeZone,
        company_currency: details.companyCurrency,
        uninstalled_at: null,
        updated_at: details.now,
      }),
    )
    // xmax = 0 only for a freshly inserted row.
    .returning(sql<boolean>`(xmax <> 0)`.as('existed'))
    .executeTakeFirstOrThrow();
  return { reinstall: row.existed };
}

export async function findPortal(db: Executor, portalId: number): Promise<PortalRow | undefined> {
  return db.selectFrom('portals').selectAll().where('portal_id', '=', portalId).executeTakeFirst();
}

/** Marks a portal uninstalled (idempotent: the first uninstall time is kept). */
export async function markPortalUninstalled(db: Executor, portalId: number, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('portals')
    .set({ status: 'uninstalled', uninstalled_at: now, updated_at: now })
    .where('portal_id', '=', portalId)
    .where('status', '=', 'installed')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Uninstalled portals whose grace period has ended. */
export async function listPortalsDueForPurge(db: Executor, uninstalledBefore: Date): Promise<number[]> {
  const rows = await db
    .selectFrom('portals')
    .select('portal_id')
    .where('status', '=', 'uninstalled')
    .where('uninstalled_at', '<=', uninstalledBefore)
    .orderBy('portal_id')
    .execute();
  return rows.map((r) => r.portal_id);
}
