import type { Database } from '../../../src/db';

/** A small portal described in plain data, inserted straight into the mirror tables. */
export interface SeedPortal {
  readonly portalId: number;
  readonly timeZone?: string;
  readonly currency?: string;
  readonly pipelines: readonly {
    readonly id: string;
    readonly qualifiedStageId?: string | null;
    readonly stages: readonly {
      readonly id: string;
      readonly order: number;
      readonly closed: boolean;
      readonly probability: number | null;
    }[];
  }[];
  readonly contacts: readonly {
    readonly id: number;
    readonly createdAt: number;
    readonly source: string | null;
    readonly lifecycleStage?: string | null;
    readonly archived?: boolean;
  }[];
  readonly deals: readonly {
    readonly id: number;
    readonly pipelineId: string;
    readonly stageId: string;
    readonly amount: number | null;
    readonly currency?: string | null;
    readonly source?: string | null;
    readonly ownerId?: string | null;
    readonly createdAt: number;
    readonly closedAt: number | null;
    readonly archived?: boolean;
    readonly contactIds: readonly number[];
  }[];
  readonly stageHistory?: readonly {
    readonly dealId: number;
    readonly stageId: string;
    readonly at: number;
  }[];
  readonly lifecycleHistory?: readonly {
    readonly contactId: number;
    readonly stage: string | null;
    readonly at: number;
  }[];
  readonly touches: readonly {
    readonly id: string;
    readonly contactId: number;
    readonly at: number;
    readonly channel: string;
  }[];
}

/** The simplest pipeline: one open stage and a won one. */
export const OPEN_WON_PIPELINE: SeedPortal['pipelines'][number] = {
  id: 'default',
  stages: [
    { id: 'open', order: 0, closed: false, probability: 0.5 },
    { id: 'won', order: 1, closed: true, probability: 1 },
  ],
};

const iso = (ms: number) => new Date(ms).toISOString();

export async function seedPortal(db: Database, portal: SeedPortal): Promise<void> {
  const portalId = portal.portalId;
  await db
    .insertInto('portals')
    .values({
      portal_id: portalId,
      status: 'installed',
      time_zone: portal.timeZone ?? 'UTC',
      company_currency: portal.currency ?? 'EUR',
      installed_at: new Date(),
    })
    .execute();
  for (const [i, p] of portal.pipelines.entries()) {
    await db
      .insertInto('pipelines')
      .values({
        portal_id: portalId,
        pipeline_id: p.id,
        label: p.id,
        display_order: i,
        qualified_stage_id: p.qualifiedStageId ?? null,
      })
      .execute();
    for (const s of p.stages) {
      await db
        .insertInto('pipeline_stages')
        .values({
          portal_id: portalId,
          pipeline_id: p.id,
          stage_id: s.id,
          label: s.id,
          display_order: s.order,
          is_closed: s.closed,
          probability: s.probability,
        })
        .execute();
    }
  }
  if (portal.contacts.length > 0) {
    await db
      .insertInto('contacts')
      .values(
        portal.contacts.map((c) => ({
          portal_id: portalId,
          contact_id: c.id,
          created_at: iso(c.createdAt),
          updated_at: iso(c.createdAt),
          analytics_source: c.source,
          lifecycle_stage: c.lifecycleStage ?? null,
          archived: c.archived ?? false,
        })),
      )
      .execute();
  }
  for (const d of portal.deals) {
    await db
      .insertInto('deals')
      .values({
        portal_id: portalId,
        deal_id: d.id,
        pipeline_id: d.pipelineId,
        stage_id: d.stageId,
        amount: d.amount,
        currency: d.currency ?? null,
        analytics_source: d.source ?? null,
        owner_id: d.ownerId ?? null,
        created_at: iso(d.createdAt),
        close_date: d.closedAt === null ? null : iso(d.closedAt),
        updated_at: iso(d.createdAt),
        archived: d.archived ?? false,
      })
      .execute();
    for (const [i, contactId] of d.contactIds.entries()) {
      await db
        .insertInto('deal_contacts')
        .values({ portal_id: portalId, deal_id: d.id, contact_id: contactId, is_primary: i === 0 })
        .execute();
    }
  }
  if ((portal.stageHistory ?? []).length > 0) {
    await db
      .insertInto('deal_stage_history')
      .values(
        portal.stageHistory!.map((h) => ({
          portal_id: portalId,
          deal_id: h.dealId,
          stage_id: h.stageId,
          changed_at: iso(h.at),
        })),
      )
      .execute();
  }
  if ((portal.lifecycleHistory ?? []).length > 0) {
    await db
      .insertInto('contact_lifecycle_history')
      .values(
        portal.lifecycleHistory!.map((h) => ({
          portal_id: portalId,
          contact_id: h.contactId,
          stage: h.stage,
          changed_at: iso(h.at),
        })),
      )
      .execute();
  }
  if (portal.touches.length > 0) {
    await db
      .insertInto('touches')
      .values(
        portal.touches.map((t) => ({
          portal_id: portalId,
          touch_id: t.id,
          contact_id: t.contactId,
          occurred_at: iso(t.at),
          channel: t.channel,
          kind: 'visit',
        })),
      )
      .execute();
  }
}

/**
 * Stored snapshot rows by `kpi|period_unit|period start (ms)|breakdown|breakdown_value`,
 * the key the tests build for the figures they expect.
 */
export function indexSnapshots<
  R extends {
    kpi: string;
    period_unit: string;
    period_start: Date;
    breakdown: string;
    breakdown_value: string;
  },
>(rows: readonly R[]): Map<string, R> {
  return new Map(
    rows.map((r) => [
      `${r.kpi}|${r.period_unit}|${r.period_start.getTime()}|${r.breakdown}|${r.breakdown_value}`,
      r,
    ]),
  );
}
