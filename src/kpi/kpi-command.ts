import { parseArgs } from 'node:util';

import type { KpiProgress, KpiServiceDeps } from './kpi.service';
import { computePortalKpis } from './kpi.service';

export const KPI_USAGE = 'kpi-bridge kpi --portal ID [--now ISO-INSTANT]';

export interface KpiCommandIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** What the command needs from the app: a database and a logger, and a way to let go of them. */
export interface KpiCommandDeps extends KpiServiceDeps {
  close(): Promise<void>;
}

/**
 * `kpi-bridge kpi --portal ID`: recomputes one portal's KPIs now, with a progress bar on stderr,
 * and prints the headline figures as one JSON object on stdout. Exit codes: 0 done, 2 bad usage
 * (1 for a failed computation comes from the CLI's error handler).
 */
export async function runKpiCommand(
  args: readonly string[],
  io: KpiCommandIo,
  createDeps: () => KpiCommandDeps,
): Promise<number> {
  let values: { portal?: string; now?: string };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { portal: { type: 'string' }, now: { type: 'string' } },
      strict: true,
    }));
  } catch (err) {
    io.stderr.write(
      `kpi-bridge kpi: ${err instanceof Error ? err.message : String(err)}\nUsage: ${KPI_USAGE}\n`,
    );
    return 2;
  }
  const portalId = Number(values.portal);
  const now = values.now === undefined ? Date.now() : Date.parse(values.now);
  if (!Number.isSafeInteger(portalId) || portalId <= 0 || Number.isNaN(now)) {
    io.stderr.write(
      `kpi-bridge kpi: --portal must be a positive integer and --now an ISO instant\nUsage: ${KPI_USAGE}\n`,
    );
    return 2;
  }
  const deps = createDeps();
  const bar = createProgressBar(io.stderr);
  try {
    const headline = await computePortalKpis(deps, portalId, now, { onProgress: (p) => bar.update(p) });
    bar.done();
    io.stdout.write(`${JSON.stringify(headline)}\n`);
    return 0;
  } finally {
    bar.done();
    await deps.close();
  }
}

/** A one-line bar redrawn in place on a terminal; one line per stage otherwise (logs, CI). */
export function createProgressBar(stream: KpiCommandIo['stderr']): {
  update(progress: KpiProgress): void;
  done(): void;
} {
  const started = Date.now();
  let lastStage = '';
  let lastDraw = 0;
  let open = false;
  return {
    update(p) {
      const elapsed = ((Date.now() - started) / 1000).toFixed(1);
      if (stream.isTTY !== true) {
        if (p.stage !== lastStage) stream.write(`kpi: ${p.stage} (${elapsed} s)\n`);
        lastStage = p.stage;
        return;
      }
      // Redrawing more than ~10 times a second costs more than it tells.
      if (p.stage === lastStage && Date.now() - lastDraw < 100) return;
      lastStage = p.stage;
      lastDraw = Date.now();
      const fraction = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
      const width = 30;
      const filled = Math.round(fraction * width);
      const counts = p.total > 0 ? ` ${p.done}/${p.total}` : '';
      stream.write(
        `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.stage}${counts} ${elapsed} s\x1b[K`,
      );
      open = true;
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
