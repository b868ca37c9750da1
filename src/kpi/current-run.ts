import type { Executor } from '../db';

export interface CurrentRun {
  readonly runId: number;
  readonly asOf: Date;
  readonly finishedAt: Date | null;
}

/**
 * The portal's current KPI run: the one whose rows the result views show (`kpi_current_runs`),
 * which is the last to commit. Not the highest run id: ids are taken before the computation's
 * lock, so two racing runs may commit out of id order.
 */
export async function readCurrentRun(db: Executor, portalId: number): Promise<CurrentRun | undefined> {
  const run = await db
    .selectFrom('kpi_runs as r')
    .innerJoin('kpi_current_runs as c', (j) =>
      j.onRef('c.portal_id', '=', 'r.portal_id').onRef('c.run_id', '=', 'r.run_id'),
    )
    .select(['r.run_id', 'r.as_of', 'r.finished_at'])
    .where('r.portal_id', '=', portalId)
    .executeTakeFirst();
  return run && { runId: Number(run.run_id), asOf: run.as_of, finishedAt: run.finished_at };
}
