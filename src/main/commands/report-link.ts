import { VIEWS } from '../../reports';
import type { Command } from './command';
import { parseCommandArgs, portalIdArg, UsageError } from './command';

export const reportLinkCommand: Command = {
  name: 'report-link',
  summary: 'print a one-time link (valid once, within 60 s) to the report pages of a portal (--portal ID)',
  usage: `kpi-bridge report-link --portal ID [--view overview]
  --portal ID  an installed portal; the link opens an 8-hour session for it
  --view NAME  the page it opens: ${VIEWS.join(', ')}`,
  needs: ['db', 'redis', 'http'],
  async run(args, rt) {
    const { values } = parseCommandArgs(args, {
      portal: { type: 'string' },
      view: { type: 'string', default: 'overview' },
    });
    const portalId = portalIdArg(values.portal, true);
    if (!(VIEWS as readonly string[]).includes(values.view))
      throw new UsageError(`--view must be one of ${VIEWS.join(', ')}`);
    const ctx = await rt.context();
    const link = await ctx.reports.mintLinkForPortal(portalId, null, values.view);
    if (!link) {
      rt.io.stderr.write(`portal ${portalId} has not installed the app\n`);
      return 1;
    }
    rt.io.stdout.write(`${link.url}\n`);
    rt.io.stderr.write(`valid once, until ${link.expiresAt}\n`);
    return 0;
  },
};
