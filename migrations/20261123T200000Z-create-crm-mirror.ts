import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * The CRM mirror: what the KPIs are computed from. Every key starts with portal_id.
 * HubSpot ids of CRM records are bigint; pipeline, stage and owner ids are text
 * (custom stages have numeric ids, default ones are words). Frozen in time: no src/ imports.
 *
 * Soft state: `archived` marks a record deleted in HubSpot; `merged_into` marks a contact
 * merged away (its history and touches are moved to the survivor by the sync).
 * Both leave every KPI from the next computation on.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('owners')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('first_name', 'text')
    .addColumn('last_name', 'text')
    .addColumn('user_id', 'bigint')
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('owners_pk', ['portal_id', 'owner_id'])
    .execute();

  await db.schema
    .createTable('pipelines')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('display_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    // The stage whose entry makes a deal a "qualified opportunity" (a portal setting);
    // null means the pipeline's first stage.
    .addColumn('qualified_stage_id', 'text')
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('pipelines_pk', ['portal_id', 'pipeline_id'])
    .execute();

  await db.schema
    .createTable('pipeline_stages')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('pipeline_id', 'text', (c) => c.notNull())
    .addColumn('stage_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('display_order', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_closed', 'boolean', (c) => c.notNull())
    .addColumn('probability', 'numeric(5, 4)')
    // Won/lost come from metadata, never from names: closed with probability 1 is won.
    .addColumn('is_won', 'boolean', (c) =>
      c
        .generatedAlwaysAs(sql`is_closed and coalesce(probability, 0) >= 1`)
        .stored()
        .notNull(),
    )
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('pipeline_stages_pk', ['portal_id', 'pipeline_id', 'stage_id'])
    .execute();

  await db.schema
    .createTable('lifecycle_stages')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('stage_id', 'text', (c) => c.notNull())
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('display_order', 'integer', (c) => c.notNull())
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('lifecycle_stages_pk', ['portal_id', 'stage_id'])
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('analytics_source', 'text')
    .addColumn('analytics_source_data_1', 'text')
    .addColumn('analytics_source_data_2', 'text')
    .addColumn('latest_source', 'text')
    .addColumn('latest_source_at', 'timestamptz')
    .addColumn('first_visit_at', 'timestamptz')
    .addColumn('first_conversion_at', 'timestamptz')
    .addColumn('recent_conversion_at', 'timestamptz')
    .addColumn('became_customer_at', 'timestamptz')
    .addColumn('page_views', 'integer')
    .addColumn('visits', 'integer')
    // Every other property we requested, as HubSpot sent it (strings).
    .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('merged_into', 'bigint')
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('contacts_pk', ['portal_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('contacts_created_idx')
    .on('contacts')
    .columns(['portal_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('contacts_updated_idx')
    .on('contacts')
    .columns(['portal_id', 'updated_at', 'contact_id'])
    .execute();

  await db.schema
    .createTable('deals')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('deal_id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('pipeline_id', 'text')
    .addColumn('stage_id', 'text')
    .addColumn('amount', 'numeric(20, 6)')
    .addColumn('amount_home', 'numeric(20, 6)')
    .addColumn('currency', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('analytics_source', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('close_date', 'timestamptz')
    .addColumn('is_closed', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('is_won', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('deals_pk', ['portal_id', 'deal_id'])
    .execute();
  await db.schema
    .createIndex('deals_pipeline_idx')
    .on('deals')
    .columns(['portal_id', 'pipeline_id', 'stage_id'])
    .execute();
  await db.schema.createIndex('deals_close_idx').on('deals').columns(['portal_id', 'close_date']).execute();
  await db.schema
    .createIndex('deals_updated_idx')
    .on('deals')
    .columns(['portal_id', 'updated_at', 'deal_id'])
    .execute();

  await db.schema
    .createTable('deal_contacts')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('deal_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('is_primary', 'boolean', (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint('deal_contacts_pk', ['portal_id', 'deal_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('deal_contacts_contact_idx')
    .on('deal_contacts')
    .columns(['portal_id', 'contact_id'])
    .execute();

  // One row per change, from propertiesWithHistory (stage null = value cleared).
  await db.schema
    .createTable('contact_lifecycle_history')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('stage', 'text')
    .addColumn('source_type', 'text')
    .addPrimaryKeyConstraint('contact_lifecycle_history_pk', ['portal_id', 'contact_id', 'changed_at'])
    .execute();

  await db.schema
    .createTable('deal_stage_history')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('deal_id', 'bigint', (c) => c.notNull())
    .addColumn('changed_at', 'timestamptz', (c) => c.notNull())
    .addColumn('stage_id', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text')
    .addPrimaryKeyConstraint('deal_stage_history_pk', ['portal_id', 'deal_id', 'changed_at'])
    .execute();

  await db.schema
    .createTable('meetings')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('meeting_id', 'bigint', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('meeting_source', 'text')
    .addColumn('outcome', 'text')
    .addColumn('owner_id', 'text')
    .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('archived', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('synced_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('meetings_pk', ['portal_id', 'meeting_id'])
    .execute();

  await db.schema
    .createTable('meeting_contacts')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('meeting_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('meeting_contacts_pk', ['portal_id', 'meeting_id', 'contact_id'])
    .execute();
  await db.schema
    .createIndex('meeting_contacts_contact_idx')
    .on('meeting_contacts')
    .columns(['portal_id', 'contact_id'])
    .execute();

  // Sales activities (calls, emails, meetings logged by reps) for speed to lead.
  await db.schema
    .createTable('activities')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('activity_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('activities_pk', ['portal_id', 'activity_id'])
    .execute();
  await db.schema
    .createIndex('activities_contact_idx')
    .on('activities')
    .columns(['portal_id', 'contact_id', 'occurred_at'])
    .execute();

  // Marketing interactions of a contact, derived from source and conversion histories.
  // touch_id is deterministic (kind + contact + time) so re-deriving is idempotent.
  await db.schema
    .createTable('touches')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('touch_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('detail_1', 'text')
    .addColumn('detail_2', 'text')
    .addPrimaryKeyConstraint('touches_pk', ['portal_id', 'touch_id'])
    .execute();
  await db.schema
    .createIndex('touches_contact_idx')
    .on('touches')
    .columns(['portal_id', 'contact_id', 'occurred_at', 'touch_id'])
    .execute();

  // Visits per day and source from HubSpot's analytics (brand traffic, funnel tops).
  await db.schema
    .createTable('web_traffic_daily')
    .addColumn('portal_id', 'bigint', (c) => c.notNull())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('visits', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('web_traffic_daily_pk', ['portal_id', 'day', 'source'])
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of [
    'web_traffic_daily',
    'touches',
    'activities',
    'meeting_contacts',
    'meetings',
    'deal_stage_history',
    'contact_lifecycle_history',
    'deal_contacts',
    'deals',
    'contacts',
    'lifecycle_stages',
    'pipeline_stages',
    'pipelines',
    'owners',
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
