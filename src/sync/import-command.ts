import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import type { Database } from '../platform/db/database';
import { CsvImportError, importCsv, UnknownPortalError } from './traffic-import';

/**
 * `kpi-bridge import traffic|branded-search --portal ID FILE`: loads a CSV series for a portal
 * (`day,source,visits` or `day,searches`). Exit 2 for a bad invocation, 1 for a refused file,
 * with every bad line named on stderr.
 */
export const IMPORT_USAGE = 'Usage: kpi-bridge import traffic|branded-search --portal ID FILE';

type Io = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };

export async function runImportCommand(args: string[], db: Database, io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { portal: { type: 'string' } } });
  } catch (err) {
    io.stderr.write(`kpi-bridge import: ${(err as Error).message}\n${IMPORT_USAGE}\n`);
    return 2;
  }
  const [kind, file, ...extra] = parsed.positionals;
  const portalId = Number(parsed.values.portal);
  if ((kind !== 'traffic' && kind !== 'branded-search') || file === undefined || extra.length > 0) {
    io.stderr.write(
      `kpi-bridge import: name what to import (traffic or branded-search) and one FILE\n${IMPORT_USAGE}\n`,
    );
    return 2;
  }
  if (!parsed.values.portal || !Number.isSafeInteger(portalId) || portalId <= 0) {
    io.stderr.write(`kpi-bridge import: --portal needs a portal id\n${IMPORT_USAGE}\n`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    io.stderr.write(`kpi-bridge import: cannot read ${file}: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const result = await importCsv(db, portalId, kind, text);
    io.stdout.write(`${JSON.stringify({ portalId, ...result })}\n`);
    return 0;
  } catch (err) {
    if (err instanceof CsvImportError) {
      io.stderr.write(`kpi-bridge import: ${file} refused, nothing imported:\n${err.message}\n`);
      return 1;
    }
    if (err instanceof UnknownPortalError) {
      io.stderr.write(`kpi-bridge import: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
