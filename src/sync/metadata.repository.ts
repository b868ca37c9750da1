import { sql } from 'kysely';
import type { Executor } from '../db';
import type { OwnersPage, Pipelines, PropertyDefinition } from '../hubspot/schemas';

/** Pipelines, stages, owners and lifecycle stages: small, replaced wholesale per portal. */

function probabilityOf(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 1 ? n : null;
}

export async function replacePipelines(
  db: Executor,
  portalId: number,
  pipelines: Pipelines['results'],
): Promise<void> {
  // Pipelines and stages missing from the answer were deleted in HubSpot: archived, never dropped (history refers to them).
  await db.updateTable('pipelines').set({ archived: true }).where('portal_id', '=', portalId).execute();
  await db.updateTable('pipeline_stages').set({ archived: true }).where('portal_id', '=', portalId).execute();
  if (pipelines.length === 0) return;
  await db
    .insertInto('pipelines')
    .values(
      pipelines.map((p) => ({
        portal_id: portalId,
        pipeline_id: p.id,
        label: p.label,
        display_order: p.displayOrder,
        archived: p.archived,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['portal_id', 'pipeline_id']).doUpdateSet((eb) => ({
        label: eb.ref('excluded.label'),
        display_order: eb.ref('excluded.display_order'),
        archived: eb.ref('excluded.archived'),
        synced_at: sql<Date>`now()`,
      })),
    )
    .execute();
  const stages = pipelines.flatMap((p) =>
    p.stages.map((s) => ({
      portal_id: portalId,
      pipeline_id: p.id,
      stage_id: s.id,
      label: s.label,
      display_order: s.displayOrder,
      is_closed: s.metadata.isClosed?.toLowerCase() === 'true',
      probability: probabilityOf(s.metadata.probability),
      archived: s.archived,
    })),
  );
  if (stages.length === 0) return;
  await db
    .insertInto('pipeline_stages')
    .values(stages)
    .onConflict((oc) =>
      oc.columns(['portal_id', 'pipeline_id', 'stage_id']).doUpdateSet((eb) => ({
        label: eb.ref('excluded.label'),
        display_order: eb.ref('excluded.display_order'),
        is_closed: eb.ref('excluded.is_closed'),
        probability: eb.ref('excluded.probability'),
        archived: eb.ref('excluded.archived'),
      })),
    )
    .execute();
}

export async function upsertOwners(
  db: Executor,
  portalId: number,
  owners: OwnersPage['results'],
): Promise<void> {
  if (owners.length === 0) return;
  await db
    .insertInto('owners')
    .values(
      owners.map((o) => ({
        portal_id: portalId,
        owner_id: o.id,
        email: o.email ?? null,
        first_name: o.firstName ?? null,
        last_name: o.lastName ?? null,
        user_id: o.userId ?? null,
        archived: o.archived,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['portal_id', 'owner_id']).doUpdateSet((eb) => ({
        email: eb.ref('excluded.email'),
        first_name: eb.ref('excluded.first_name'),
        last_name: eb.ref('excluded.last_name'),
        user_id: eb.ref('excluded.user_id'),
        archived: eb.ref('excluded.archived'),
        synced_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

export async function replaceLifecycleStages(
  db: Executor,
  portalId: number,
  property: PropertyDefinition,
): Promise<void> {
  await db
    .updateTable('lifecycle_stages')
    .set({ archived: true })
    .where('portal_id', '=', portalId)
    .execute();
  if (property.options.length === 0) return;
  await db
    .insertInto('lifecycle_stages')
    .values(
      property.options.map((o) => ({
        portal_id: portalId,
        stage_id: o.value,
        label: o.label,
        display_order: o.displayOrder,
        archived: o.hidden,
      })),
    )
    .onConflict((oc) =>
      oc.columns(['portal_id', 'stage_id']).doUpdateSet((eb) => ({
        label: eb.ref('excluded.label'),
        display_order: eb.ref('excluded.display_order'),
        archived: eb.ref('excluded.archived'),
      })),
    )
    .execute();
}
