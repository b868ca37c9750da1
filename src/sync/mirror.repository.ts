import { sql } from 'kysely';
import type { Executor } from '../db';
import type {
  ContactRowInput,
  DealRowInput,
  DealStageHistoryRow,
  LifecycleHistoryRow,
  MeetingRowInput,
  TouchRowInput,
} from './mappers';
import { TOUCH_ID_PREFIX } from './mappers';

/**
 * The CRM mirror's writes: one statement per table and page (insert … on conflict … do
 * update), every query scoped by portal_id, idempotent on HubSpot ids so a replayed page
 * or webhook changes nothing.
 */

export async function upsertContacts(
  db: Executor,
  portalId: number,
  rows: readonly ContactRowInput[],
): Promise<void> {
  if (rows.length === 0) return;
  assertPortal(portalId, rows);
  await db
    .insertInto('contacts')
    .values(rows.map((r) => ({ ...r, properties: JSON.stringify(r.properties), merged_into: null })))
    .onConflict((oc) =>
      oc.columns(['portal_id', 'contact_id']).doUpdateSet((eb) => ({
        email: eb.ref('excluded.email'),
        created_at: eb.ref('excluded.created_at'),
        updated_at: eb.ref('excluded.updated_at'),
        lifecycle_stage: eb.ref('excluded.lifecycle_stage'),
        owner_id: eb.ref('excluded.owner_id'),
        analytics_source: eb.ref('excluded.analytics_source'),
        analytics_source_data_1: eb.ref('excluded.analytics_source_data_1'),
        analytics_source_data_2: eb.ref('excluded.analytics_source_data_2'),
        latest_source: eb.ref('excluded.latest_source'),
        latest_source_at: eb.ref('excluded.latest_source_at'),
        first_visit_at: eb.ref('excluded.first_visit_at'),
        first_conversion_at: eb.ref('excluded.first_conversion_at'),
        recent_conversion_at: eb.ref('excluded.recent_conversion_at'),
        became_customer_at: eb.ref('excluded.became_customer_at'),
        page_views: eb.ref('excluded.page_views'),
        visits: eb.ref('excluded.visits'),
        properties: eb.ref('excluded.properties'),
        archived: eb.ref('excluded.archived'),
        merged_into: null,
        synced_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

export async function upsertDeals(
  db: Executor,
  portalId: number,
  rows: readonly DealRowInput[],
): Promise<void> {
  if (rows.length === 0) return;
  assertPortal(portalId, rows);
  await db
    .insertInto('deals')
    .values(rows.map((r) => ({ ...r, properties: JSON.stringify(r.properties) })))
    .onConflict((oc) =>
      oc.columns(['portal_id', 'deal_id']).doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        pipeline_id: eb.ref('excluded.pipeline_id'),
        stage_id: eb.ref('excluded.stage_id'),
        amount: eb.ref('excluded.amount'),
        amount_home: eb.ref('excluded.amount_home'),
        currency: eb.ref('excluded.currency'),
        owner_id: eb.ref('excluded.owner_id'),
        analytics_source: eb.ref('excluded.analytics_source'),
        created_at: eb.ref('excluded.created_at'),
        close_date: eb.ref('excluded.close_date'),
        is_closed: eb.ref('excluded.is_closed'),
        is_won: eb.ref('excluded.is_won'),
        updated_at: eb.ref('excluded.updated_at'),
        properties: eb.ref('excluded.properties'),
        archived: eb.ref('excluded.archived'),
        synced_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

export async function upsertMeetings(
  db: Executor,
  portalId: number,
  rows: readonly MeetingRowInput[],
): Promise<void> {
  if (rows.length === 0) return;
  assertPortal(portalId, rows);
  await db
    .insertInto('meetings')
    .values(rows.map((r) => ({ ...r, properties: JSON.stringify(r.properties) })))
    .onConflict((oc) =>
      oc.columns(['portal_id', 'meeting_id']).doUpdateSet((eb) => ({
        occurred_at: eb.ref('excluded.occurred_at'),
        created_at: eb.ref('excluded.created_at'),
        updated_at: eb.ref('excluded.updated_at'),
        meeting_source: eb.ref('excluded.meeting_source'),
        outcome: eb.ref('excluded.outcome'),
        owner_id: eb.ref('excluded.owner_id'),
        properties: eb.ref('excluded.properties'),
        archived: eb.ref('excluded.archived'),
        synced_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

/** Replaces the lifecycle history of these contacts with what HubSpot sent. */
export async function replaceLifecycleHistory(
  db: Executor,
  portalId: number,
  contactIds: readonly number[],
  rows: readonly LifecycleHistoryRow[],
): Promise<void> {
  if (contactIds.length === 0) return;
  await db
    .deleteFrom('contact_lifecycle_history')
    .where('portal_id', '=', portalId)
    .where('contact_id', 'in', contactIds)
    .execute();
  if (rows.length > 0)
    await db
      .insertInto('contact_lifecycle_history')
      .values([...rows])
      .onConflict((oc) => oc.doNothing())
      .execute();
}

export async function replaceDealStageHistory(
  db: Executor,
  portalId: number,
  dealIds: readonly number[],
  rows: readonly DealStageHistoryRow[],
): Promise<void> {
  if (dealIds.length === 0) return;
  await db
    .deleteFrom('deal_stage_history')
    .where('portal_id', '=', portalId)
    .where('deal_id', 'in', dealIds)
    .execute();
  if (rows.length > 0)
    await db
      .insertInto('deal_stage_history')
      .values([...rows])
      .onConflict((oc) => oc.doNothing())
      .execute();
}

/**
 * Replaces the visit and form touches derived from these contacts. Touches folded in
 * from merged-away contacts carry their origin in the id and are left alone.
 */
export async function replaceContactTouches(
  db: Executor,
  portalId: number,
  contactIds: readonly number[],
  rows: readonly TouchRowInput[],
): Promise<void> {
  if (contactIds.length === 0) return;
  await sql`
    delete from touches t
     using unnest(${sql.val([...contactIds])}::bigint[]) as c(id)
     where t.portal_id = ${portalId} and t.contact_id = c.id
       and (t.touch_id like ${TOUCH_ID_PREFIX.visit} || ':' || c.id || ':%' or t.touch_id like ${TOUCH_ID_PREFIX.form} || ':' || c.id || ':%')`.execute(
    db,
  );
  if (rows.length > 0) {
    await db
      .insertInto('touches')
      .values([...rows])
      .onConflict((oc) =>
        oc.columns(['portal_id', 'touch_id']).doUpdateSet((eb) => ({
          contact_id: eb.ref('excluded.contact_id'),
          occurred_at: eb.ref('excluded.occurred_at'),
          channel: eb.ref('excluded.channel'),
          kind: eb.ref('excluded.kind'),
          detail_1: eb.ref('excluded.detail_1'),
          detail_2: eb.ref('excluded.detail_2'),
        })),
      )
      .execute();
  }
}

export type Pair = { otherId: number; contactId: number };

/** Sets the contacts of these deals to exactly `pairs` (deals absent from `pairs` end with none). */
export async function replaceDealContacts(
  db: Executor,
  portalId: number,
  dealIds: readonly number[],
  pairs: readonly Pair[],
): Promise<void> {
  if (dealIds.length === 0) return;
  await db
    .deleteFrom('deal_contacts')
    .where('portal_id', '=', portalId)
    .where('deal_id', 'in', dealIds)
    .execute();
  if (pairs.length > 0) {
    await db
      .insertInto('deal_contacts')
      .values(pairs.map((p) => ({ portal_id: portalId, deal_id: p.otherId, contact_id: p.contactId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export async function replaceMeetingContacts(
  db: Executor,
  portalId: number,
  meetingIds: readonly number[],
  pairs: readonly Pair[],
): Promise<void> {
  if (meetingIds.length === 0) return;
  await db
    .deleteFrom('meeting_contacts')
    .where('portal_id', '=', portalId)
    .where('meeting_id', 'in', meetingIds)
    .execute();
  if (pairs.length > 0) {
    await db
      .insertInto('meeting_contacts')
      .values(pairs.map((p) => ({ portal_id: portalId, meeting_id: p.otherId, contact_id: p.contactId })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

export type ObjectTable = 'contacts' | 'deals' | 'meetings';

/** Deleted in HubSpot: kept, flagged, and out of every KPI. */
export async function markArchived(
  db: Executor,
  portalId: number,
  objectType: ObjectTable,
  ids: readonly number[],
): Promise<number> {
  if (ids.length === 0) return 0;
  const idColumn =
    objectType === 'contacts' ? 'contact_id' : objectType === 'deals' ? 'deal_id' : 'meeting_id';
  // Returns how many were live until now (an already archived row is not a change).
  const result = await sql`update ${sql.table(objectType)} set archived = true, synced_at = now()
             where portal_id = ${portalId} and ${sql.ref(idColumn)} = any(${sql.val([...ids])}::bigint[]) and archived = false`.execute(
    db,
  );
  return Number(result.numAffectedRows ?? 0);
}

/**
 * A contact merged away: flagged with its survivor; its associations and touches (and
 * those of contacts merged into it earlier) move to the survivor.
 */
export async function foldMergedContact(
  db: Executor,
  portalId: number,
  mergedId: number,
  survivorId: number,
): Promise<void> {
  if (mergedId === survivorId) return;
  await db
    .updateTable('contacts')
    .set({ merged_into: survivorId, synced_at: sql<Date>`now()` })
    .where('portal_id', '=', portalId)
    .where((eb) => eb.or([eb('contact_id', '=', mergedId), eb('merged_into', '=', mergedId)]))
    .execute();
  for (const table of ['deal_contacts', 'meeting_contacts'] as const) {
    const other = table === 'deal_contacts' ? 'deal_id' : 'meeting_id';
    await sql`insert into ${sql.table(table)} (portal_id, ${sql.ref(other)}, contact_id)
                select portal_id, ${sql.ref(other)}, ${survivorId} from ${sql.table(table)}
                 where portal_id = ${portalId} and contact_id = ${mergedId}
              on conflict do nothing`.execute(db);
    await sql`delete from ${sql.table(table)} where portal_id = ${portalId} and contact_id = ${mergedId}`.execute(
      db,
    );
  }
  await sql`insert into activity_contacts (portal_id, kind, activity_id, contact_id)
              select portal_id, kind, activity_id, ${survivorId} from activity_contacts
               where portal_id = ${portalId} and contact_id = ${mergedId}
            on conflict do nothing`.execute(db);
  await db
    .deleteFrom('activity_contacts')
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', mergedId)
    .execute();
  await db
    .updateTable('touches')
    .set({ contact_id: survivorId })
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', mergedId)
    .execute();
}

/** A deal merged away: HubSpot moved its associations to the survivor, which the survivor's refresh reads. */
export async function foldMergedDeal(db: Executor, portalId: number, mergedId: number): Promise<void> {
  await markArchived(db, portalId, 'deals', [mergedId]);
  await db
    .deleteFrom('deal_contacts')
    .where('portal_id', '=', portalId)
    .where('deal_id', '=', mergedId)
    .execute();
}

/** GDPR deletion: every row about the contact goes, for good. */
export async function deleteContactForPrivacy(
  db: Executor,
  portalId: number,
  contactId: number,
): Promise<void> {
  await db
    .deleteFrom('touches')
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', contactId)
    .execute();
  await sql`delete from touches where portal_id = ${portalId}
             and (touch_id like ${TOUCH_ID_PREFIX.visit} || ':' || ${contactId}::text || ':%' or touch_id like ${TOUCH_ID_PREFIX.form} || ':' || ${contactId}::text || ':%')`.execute(
    db,
  );
  await db
    .deleteFrom('contact_lifecycle_history')
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', contactId)
    .execute();
  await db
    .deleteFrom('deal_contacts')
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', contactId)
    .execute();
  await db
    .deleteFrom('meeting_contacts')
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', contactId)
    .execute();
  await db
    .deleteFrom('activity_contacts')
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', contactId)
    .execute();
  await db
    .deleteFrom('contacts')
    .where('portal_id', '=', portalId)
    .where('contact_id', '=', contactId)
    .execute();
}

/**
 * Meeting-booked touches, rebuilt for the whole portal in one statement: one per live
 * meeting booked through a scheduling link (MEETINGS_PUBLIC) and attendee, at the booking
 * time, on the channel of the attendee's latest visit before it (else the original source).
 */
export async function rebuildMeetingTouches(db: Executor, portalId: number): Promise<void> {
  await db.deleteFrom('touches').where('portal_id', '=', portalId).where('kind', '=', 'meeting').execute();
  await sql`
    insert into touches (portal_id, touch_id, contact_id, occurred_at, channel, kind, detail_1, detail_2)
    select m.portal_id, ${TOUCH_ID_PREFIX.meeting} || ':' || m.meeting_id || ':' || mc.contact_id, mc.contact_id, m.created_at,
           coalesce(v.channel, c.analytics_source, 'OFFLINE'), 'meeting', m.meeting_source, m.meeting_id::text
      from meetings m
      join meeting_contacts mc on mc.portal_id = m.portal_id and mc.meeting_id = m.meeting_id
      left join contacts c on c.portal_id = m.portal_id and c.contact_id = mc.contact_id
      left join lateral (
        select t.channel from touches t
         where t.portal_id = m.portal_id and t.contact_id = mc.contact_id and t.kind = 'visit' and t.occurred_at <= m.created_at
         order by t.occurred_at desc, t.touch_id desc limit 1) v on true
     where m.portal_id = ${portalId} and m.archived = false and m.meeting_source = 'MEETINGS_PUBLIC'
    on conflict (portal_id, touch_id) do nothing`.execute(db);
}

function assertPortal(portalId: number, rows: readonly { portal_id: number }[]): void {
  // A row of another portal here would be a tenant leak: refuse the page.
  if (rows.some((r) => r.portal_id !== portalId))
    throw new Error(`row of another portal in a page for portal ${portalId}`);
}
