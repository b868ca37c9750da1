import { sql } from 'kysely';
import type { Kysely } from 'kysely';

/**
 * Per-portal settings edited on the app's settings page (src/cards). A portal without a row uses
 * the defaults (W-shaped for revenue and deal creation, U-shaped for contact creation; CLV factors
 * measured). The qualified stage per pipeline is not here: it is pipelines.qualified_stage_id,
 * which the KPI computation already reads. Frozen in time: no src/ imports.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('portal_settings')
    .addColumn('portal_id', 'bigint', (c) => c.primaryKey())
    // {"revenue": "w_shaped", "deal_create": "w_shaped", "contact_create": "u_shaped"}; missing keys: defaults.
    .addColumn('default_models', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('clv_average_order_value', 'double precision')
    .addColumn('clv_orders_per_year', 'double precision')
    .addColumn('clv_years_as_customer', 'double precision')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('portal_settings').execute();
}
