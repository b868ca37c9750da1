import { sql } from 'kysely';
import type { Executor } from '../db';
import { ATTRIBUTION_MODEL_IDS } from './card.schemas';
import type { AttributionModelId, Figure } from './card.schemas';

/**
 * What every card of one portal shares: install status, the last finished KPI run, the
 * portal's default attribution models, pipeline and lifecycle labels and the pipelines'
 * velocity figures of the latest trailing-90-day window. Read in one round trip and kept for
 * a few seconds, so that a card request costs one more query for its own record.
 */
export const DEFAULT_MODELS: Record<'revenue' | 'deal_create' | 'contact_create', AttributionModelId> = {
  revenue: 'w_shaped',
  deal_create: 'w_shaped',
  contact_create: 'u_shaped',
};

export const VELOCITY_FACTORS = [
  'qualified_opportunities',
  'win_rate',
  'average_won_deal_size',
  'sales_cycle_days',
] as const;
const VELOCITY_KPIS = ['pipeline_velocity', ...VELOCITY_FACTORS];

export type PipelineFigures = {
  periodLabel: string;
  figures: Map<string, Figure>;
};

export type PortalState = {
  installed: boolean;
  currency: string | null;
  timeZone: string | null;
  lastRun: { runId: number; asOf: Date; startedAt: Date; finishedAt: Date } | null;
  runningSince: Date | null;
  defaultModels: typeof DEFAULT_MODELS;
  settingsUpdatedAt: Date | null;
  pipelineLabels: Map<string, string>;
  /** `${pipelineId}\u0000${stageId}` → label */
  stageLabels: Map<string, string>;
  lifecycleLabels: Map<string, string>;
  velocity: Map<string, PipelineFigures>;
  /** Only read while the portal has no finished run (the "first sync" state). */
  sync: { fullDone: boolean; recordsSynced: number | null } | null;
};

type StateRow = {
  status: string | null;
  time_zone: string | null;
  company_currency: string | null;
  last_run: { run_id: number; as_of: string; started_at: string; finished_at: string } | null;
  running_since: Date | null;
  default_models: Record<string, string> | null;
  settings_updated_at: Date | null;
  pipelines: [string, string][] | null;
  stages: [string, string, string][] | null;
  lifecycle: [string, string][] | null;
  velocity: [string, string, string, number | null, string | null][] | null;
  sync: { full_done: boolean; records: number | null } | null;
};

function pickModels(stored: Record<string, string> | null): typeof DEFAULT_MODELS {
  const valid = (v: unknown): v is AttributionModelId =>
    typeof v === 'string' && (ATTRIBUTION_MODEL_IDS as readonly string[]).includes(v);
  const out = { ...DEFAULT_MODELS };
  for (const kind of Object.keys(out) as (keyof typeof DEFAULT_MODELS)[]) {
    const v = stored?.[kind];
    if (valid(v)) out[kind] = v;
  }
  return out;
}

export async function readPortalState(db: Executor, portalId: number): Promise<PortalState> {
  const kpis = [...VELOCITY_KPIS, ...VELOCITY_KPIS.map((k) => `${k}_change_relative`)];
  const { rows } = await sql<StateRow>`
    with last_run as (
      -- The run the result tables show (the last to commit, whatever its id).
      select r.run_id, r.as_of, r.started_at, r.finished_at from kpi_runs r
      join kpi_current_runs c on c.portal_id = r.portal_id and c.run_id = r.run_id
      where r.portal_id = ${portalId}
    ),
    window_start as (
      select max(period_start) as start from kpi_snapshots
      where portal_id = ${portalId} and kpi = 'pipeline_velocity' and period_unit = 'trailing_90d'
    )
    select p.status, p.time_zone, p.company_currency,
      (select to_json(r) from last_run r) as last_run,
      (select max(started_at) from kpi_runs where portal_id = ${portalId} and status = 'running') as running_since,
      s.default_models, s.updated_at as settings_updated_at,
      (select json_agg(json_build_array(pipeline_id, label)) from pipelines where portal_id = ${portalId}) as pipelines,
      (select json_agg(json_build_array(pipeline_id, stage_id, label)) from pipeline_stages
        where portal_id = ${portalId}) as stages,
      (select json_agg(json_build_array(stage_id, label)) from lifecycle_stages where portal_id = ${portalId}) as lifecycle,
      (select json_agg(json_build_array(k.pipeline_id, k.kpi, k.period_label, k.value, k.reason))
        from kpi_snapshots k, window_start w
        where k.portal_id = ${portalId} and k.period_unit = 'trailing_90d' and k.period_start = w.start
          and k.breakdown = 'all' and k.kpi = any(${kpis}::text[])) as velocity,
      case when not exists (select 1 from last_run) then
        (select json_build_object(
          'full_done', coalesce(bool_or(stream = 'full' and status = 'done'), false),
          'records', sum(records_synced) filter (where stream <> 'full'))
         from sync_state where portal_id = ${portalId})
      end as sync
    from (select ${portalId}::bigint as portal_id) q
    left join portals p on p.portal_id = q.portal_id
    left join portal_settings s on s.portal_id = q.portal_id`.execute(db);
  const r = rows[0]!;
  const velocity = new Map<string, PipelineFigures>();
  for (const [pipelineId, kpi, label, value, reason] of r.velocity ?? []) {
    let p = velocity.get(pipelineId);
    if (!p) velocity.set(pipelineId, (p = { periodLabel: label, figures: new Map() }));
    p.figures.set(kpi, { value: value === null ? null : Number(value), reason });
  }
  return {
    installed: r.status === 'installed',
    currency: r.company_currency,
    timeZone: r.time_zone,
    lastRun: r.last_run
      ? {
          runId: Number(r.last_run.run_id),
          asOf: new Date(r.last_run.as_of),
          startedAt: new Date(r.last_run.started_at),
          finishedAt: new Date(r.last_run.finished_at),
        }
      : null,
    runningSince: r.running_since,
    defaultModels: pickModels(r.default_models),
    settingsUpdatedAt: r.settings_updated_at,
    pipelineLabels: new Map(r.pipelines ?? []),
    stageLabels: new Map((r.stages ?? []).map(([p, s, label]) => [`${p}\u0000${s}`, label])),
    lifecycleLabels: new Map(r.lifecycle ?? []),
    velocity,
    sync: r.sync
      ? { fullDone: r.sync.full_done, recordsSynced: r.sync.records === null ? null : Number(r.sync.records) }
      : null,
  };
}

/**
 * Per-portal state, re-read at most every `ttlMs`: a new KPI run or settings change shows on
 * the cards within that time. Concurrent misses of one portal share one read. Once a portal's
 * state is older than `ttlMs`, the next request starts one re-read in the background and is
 * answered from the state it has (up to `maxStaleMs` old): at 1,000 cards per second, a re-read
 * in the request path held every request that arrived meanwhile (2-6 ms at 1M contacts), once per
 * `ttlMs`, which is what the slowest percent of card answers were made of.
 */
export function createPortalStateCache(
  db: Executor,
  options: { ttlMs?: number; maxStaleMs?: number; now?: () => number } = {},
): { get(portalId: number): Promise<PortalState>; invalidate(portalId: number): void } {
  const ttl = options.ttlMs ?? 2_000;
  const maxStale = Math.max(ttl, options.maxStaleMs ?? 30_000);
  const now = options.now ?? Date.now;
  type Entry = { at: number; value: Promise<PortalState>; ready: boolean; refreshing: boolean };
  const entries = new Map<number, Entry>();

  function read(portalId: number): Entry {
    const entry: Entry = { at: now(), value: readPortalState(db, portalId), ready: false, refreshing: false };
    entry.value.then(
      () => (entry.ready = true),
      // A failed read is not cached: the next request tries again.
      () => {
        if (entries.get(portalId) === entry) entries.delete(portalId);
      },
    );
    return entry;
  }

  function store(portalId: number, entry: Entry): void {
    // Bounded: thousands of portals each read once in a while do not pile up.
    if (!entries.has(portalId) && entries.size >= 10_000) entries.clear();
    entries.set(portalId, entry);
  }

  return {
    get(portalId) {
      const hit = entries.get(portalId);
      const age = hit ? now() - hit.at : Infinity;
      if (hit && age < ttl) return hit.value;
      if (hit?.ready && age < maxStale) {
        if (!hit.refreshing) {
          hit.refreshing = true;
          const next = read(portalId);
          // Replaces the entry once it has its answer; a failed re-read leaves the stale one to
          // be refreshed again by a later request.
          next.value.then(
            () => {
              if (entries.get(portalId) === hit) store(portalId, next);
            },
            () => {
              hit.refreshing = false;
            },
          );
        }
        return hit.value;
      }
      const entry = read(portalId);
      store(portalId, entry);
      return entry.value;
    },
    invalidate(portalId) {
      entries.delete(portalId);
    },
  };
}
