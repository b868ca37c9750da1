import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';

import type { ReportService } from './report.service';
import { VIEWS } from './views';

export const REPORT_LINK_USAGE = `Usage: kpi-bridge report-link --portal ID [--view overview] [--user ID]
  Prints a one-time link to the report pages of an installed portal. The link works once,
  within 60 seconds, and opens an 8-hour session for that portal.`;

/** `kpi-bridge report-link`: a one-time link for operators and the demo. Returns the exit code. */
export async function runReportLinkCommand(
  args: string[],
  reports: Pick<ReportService, 'mintLinkForPortal'>,
  io: { stdout: Writable; stderr: Writable },
): Promise<number> {
  let values: { portal?: string; view?: string; user?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { portal: { type: 'string' }, view: { type: 'string' }, user: { type: 'string' } },
    }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${REPORT_LINK_USAGE}\n`);
    return 2;
  }
  const portalId = Number(values.portal);
  const userId = values.user === undefined ? null : Number(values.user);
  const view = values.view ?? 'overview';
  if (
    !Number.isSafeInteger(portalId) ||
    portalId <= 0 ||
    (userId !== null && !Number.isSafeInteger(userId))
  ) {
    io.stderr.write(`--portal (and --user) must be positive integers\n${REPORT_LINK_USAGE}\n`);
    return 2;
  }
  if (!(VIEWS as readonly string[]).includes(view)) {
    io.stderr.write(`--view must be one of ${VIEWS.join(', ')}\n`);
    return 2;
  }
  const link = await reports.mintLinkForPortal(portalId, userId, view);
  if (!link) {
    io.stderr.write(`portal ${portalId} has not installed the app\n`);
    return 1;
  }
  io.stdout.write(`${link.url}\n`);
  io.stderr.write(`valid once, until ${link.expiresAt}\n`);
  return 0;
}
