import type { Command } from './command';
import { parseCommandArgs, portalIdArg, UsageError } from './command';
import { createProgressBar } from './progress';

/**
 * `kpi-bridge kpi --portal ID`: recomputes one portal's KPIs now, with a progress bar on stderr,
 * and prints the headline figures as one JSON object on stdout.
 */
export const kpiCommand: Command = {
  name: 'kpi',
  summary: "recompute a portal's KPIs now (progress on stderr) and print the headline figures as JSON",
  usage: 'kpi-bridge kpi --portal ID [--now ISO-INSTANT]',
  needs: ['db'],
  async run(args, rt) {
    const { values } = parseCommandArgs(args, { portal: { type: 'string' }, now: { type: 'string' } });
    const portalId = portalIdArg(values.portal, true);
    const now = values.now === undefined ? Date.now() : Date.parse(values.now);
    if (Number.isNaN(now)) throw new UsageError('--now must be an ISO instant');
    const ctx = await rt.context();
    const progress = createProgressBar(rt.io.stderr, 'kpi');
    try {
      await ctx.kpi.recompute(portalId, {
        now,
        onProgress: (p) =>
          progress.update(
            p.stage,
            p.total > 0 ? [{ label: 'conversions', done: p.done, total: p.total }] : [],
          ),
      });
      const headline = await ctx.kpi.readHeadline(portalId);
      progress.done();
      rt.io.stdout.write(`${JSON.stringify(headline)}\n`);
      return 0;
    } finally {
      progress.done();
    }
  },
};
