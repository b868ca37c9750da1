import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CsvImportError, importCsv, UnknownPortalError } from '../../sync';
import type { Command } from './command';
import { portalIdArg, UsageError } from './command';

/**
 * `kpi-bridge import traffic|branded-search --portal ID FILE`: loads a CSV series for a portal
 * (`day,source,visits` or `day,searches`), for portals whose subscription lacks HubSpot's
 * analytics report and for branded search, which HubSpot does not know. A refused file exits 1
 * with every bad line named, and nothing imported.
 */
export const importCommand: Command = {
  name: 'import',
  summary: 'import a CSV series for a portal: traffic (day,source,visits) or branded-search (day,searches)',
  usage: 'kpi-bridge import traffic|branded-search --portal ID FILE',
  needs: ['db'],
  async run(args, rt) {
    let parsed;
    try {
      parsed = parseArgs({
        args,
        options: { portal: { type: 'string' } },
        strict: true,
        allowPositionals: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    const [kind, file, ...extra] = parsed.positionals;
    if ((kind !== 'traffic' && kind !== 'branded-search') || file === undefined || extra.length > 0)
      throw new UsageError('name what to import (traffic or branded-search) and one FILE');
    const portalId = portalIdArg(parsed.values.portal, true);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      rt.io.stderr.write(`kpi-bridge import: cannot read ${file}: ${(err as Error).message}\n`);
      return 1;
    }
    const ctx = await rt.context();
    try {
      const result = await importCsv(ctx.db, portalId, kind, text);
      rt.io.stdout.write(`${JSON.stringify({ portalId, ...result })}\n`);
      return 0;
    } catch (err) {
      if (err instanceof CsvImportError) {
        rt.io.stderr.write(`kpi-bridge import: ${file} refused, nothing imported:\n${err.message}\n`);
        return 1;
      }
      if (err instanceof UnknownPortalError) {
        rt.io.stderr.write(`kpi-bridge import: ${err.message}\n`);
        return 1;
      }
      throw err;
    }
  },
};
