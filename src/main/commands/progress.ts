/**
 * The one progress display of the CLI: a line redrawn in place on a terminal (at most ~10
 * times a second), one line per stage otherwise (logs, CI), all on stderr so stdout stays
 * machine-readable.
 */
export type ProgressStream = NodeJS.WritableStream & { readonly isTTY?: boolean };

export type ProgressPart = { label: string; done: number; total?: number };

export type ProgressBar = {
  /** `stage` names the step; a change of stage is always shown. `parts` are counters with optional totals. */
  update(stage: string, parts?: readonly ProgressPart[]): void;
  /** Ends the redrawn line (idempotent). */
  done(): void;
};

export function bar(done: number, total: number, width: number): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

export function createProgressBar(
  stream: ProgressStream,
  prefix: string,
  now: () => number = Date.now,
): ProgressBar {
  const started = now();
  let lastStage: string | undefined;
  let lastDraw = 0;
  let open = false;
  return {
    update(stage, parts = []) {
      const elapsed = `${((now() - started) / 1000).toFixed(1)} s`;
      const counts = parts.map((p) =>
        p.total
          ? `${p.label} ${bar(p.done, p.total, parts.length > 1 ? 12 : 30)} ${p.done}/${p.total}`
          : `${p.label} ${p.done}`,
      );
      if (stream.isTTY !== true) {
        if (stage !== lastStage) stream.write(`${prefix}: ${stage} (${elapsed})\n`);
        lastStage = stage;
        return;
      }
      // Redrawing more than ~10 times a second costs more than it tells.
      if (stage === lastStage && now() - lastDraw < 100) return;
      lastStage = stage;
      lastDraw = now();
      stream.write(`\r${prefix}: ${[stage, ...counts].join('  ')}  ${elapsed}\x1b[K`);
      open = true;
    },
    done() {
      if (open) stream.write('\n');
      open = false;
    },
  };
}
