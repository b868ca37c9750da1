import { sql } from 'kysely';
import { z } from 'zod';
import type { Database, Executor } from '../db';

/**
 * CSV uploads of daily series HubSpot cannot give us: web traffic for portals whose subscription
 * lacks the analytics sources report (`day,source,visits`) and branded search volume, which
 * HubSpot does not know at all (`day,searches`). A file is accepted whole or not at all: every
 * bad line is reported by its number, nothing is written. Importing is idempotent: a day (and
 * source) already stored takes the uploaded value.
 */

export type ImportKind = 'traffic' | 'branded-search';

export interface TrafficRow {
  readonly day: string;
  readonly source: string;
  readonly visits: number;
}

export interface BrandedSearchRow {
  readonly day: string;
  readonly searches: number;
}

export interface CsvLineError {
  /** 1-based line number in the file. */
  readonly line: number;
  readonly message: string;
}

/** The file was refused; `errors` names each bad line (at most `MAX_REPORTED_ERRORS` of them). */
export class CsvImportError extends Error {
  constructor(readonly errors: readonly CsvLineError[]) {
    super(errors.map((e) => (e.line > 0 ? `line ${e.line}: ${e.message}` : e.message)).join('\n'));
    this.name = 'CsvImportError';
  }
}

const MAX_REPORTED_ERRORS = 20;
/** The `integer` columns' range; no real day has more visits than this. */
const MAX_COUNT = 2_147_483_647;

const COLUMNS: Readonly<Record<ImportKind, readonly string[]>> = {
  traffic: ['day', 'source', 'visits'],
  'branded-search': ['day', 'searches'],
};

const daySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'day must be a date written YYYY-MM-DD')
  .refine((d) => {
    const t = Date.parse(`${d}T00:00:00Z`);
    return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === d;
  }, 'day is not a calendar date');

function countSchema(name: string) {
  return z
    .string()
    .regex(/^\d+$/, `${name} must be a whole number ≥ 0`)
    .transform((s) => Number(s))
    .refine((n) => n <= MAX_COUNT, `${name} is larger than ${MAX_COUNT}`);
}

const trafficRowSchema = z.object({
  day: daySchema,
  source: z
    .string()
    .min(1, 'source is empty')
    .max(100, 'source is longer than 100 characters')
    .regex(/^[A-Za-z0-9_ ()-]+$/, 'source may hold letters, digits, spaces, _ - ( ) only'),
  visits: countSchema('visits'),
});

const brandedSearchRowSchema = z.object({ day: daySchema, searches: countSchema('searches') });

/**
 * Splits one CSV line into fields (RFC 4180 quoting: `"a, b"` and `""` inside quotes). Returns
 * null on an unterminated quote.
 */
function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (ch === ',') {
      fields.push(field.trim());
      field = '';
    } else field += ch;
  }
  if (quoted) return null;
  fields.push(field.trim());
  return fields;
}

function parseCsv<T>(text: string, kind: ImportKind, schema: z.ZodType<T>, keyOf: (row: T) => string): T[] {
  const columns = COLUMNS[kind];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const errors: CsvLineError[] = [];
  const rows: T[] = [];
  const seen = new Map<string, number>();
  let headerSeen = false;
  for (let i = 0; i < lines.length && errors.length < MAX_REPORTED_ERRORS; i++) {
    const lineNo = i + 1;
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    const fields = splitCsvLine(line);
    if (fields === null) {
      errors.push({ line: lineNo, message: 'unterminated quoted field' });
      continue;
    }
    if (!headerSeen && rows.length === 0 && errors.length === 0) {
      headerSeen = true;
      // The header is optional, but when the first line names columns they must be ours.
      if (fields[0]?.toLowerCase() === 'day') {
        if (fields.map((f) => f.toLowerCase()).join(',') !== columns.join(',')) {
          errors.push({
            line: lineNo,
            message: `header must be "${columns.join(',')}", found "${fields.join(',')}"`,
          });
        }
        continue;
      }
    }
    if (fields.length !== columns.length) {
      errors.push({
        line: lineNo,
        message: `expected ${columns.length} fields (${columns.join(',')}), found ${fields.length}`,
      });
      continue;
    }
    const parsed = schema.safeParse(Object.fromEntries(columns.map((c, k) => [c, fields[k]])));
    if (!parsed.success) {
      // One reason per field: the first check that failed says it best.
      const byField = new Map<string, string>();
      for (const issue of parsed.error.issues) {
        const field = issue.path.join('.');
        if (!byField.has(field)) byField.set(field, issue.message);
      }
      errors.push({ line: lineNo, message: [...byField.values()].join('; ') });
      continue;
    }
    const key = keyOf(parsed.data);
    const first = seen.get(key);
    if (first !== undefined) {
      errors.push({ line: lineNo, message: `${key} appears twice (first on line ${first})` });
      continue;
    }
    seen.set(key, lineNo);
    rows.push(parsed.data);
  }
  if (errors.length > 0) throw new CsvImportError(errors);
  if (rows.length === 0) throw new CsvImportError([{ line: 0, message: 'the file has no data rows' }]);
  return rows;
}

/** Parses `day,source,visits` (header optional). Throws `CsvImportError` naming every bad line. */
export function parseTrafficCsv(text: string): TrafficRow[] {
  return parseCsv(text, 'traffic', trafficRowSchema, (r) => `day ${r.day} source ${r.source}`);
}

/** Parses `day,searches` (header optional). Throws `CsvImportError` naming every bad line. */
export function parseBrandedSearchCsv(text: string): BrandedSearchRow[] {
  return parseCsv(text, 'branded-search', brandedSearchRowSchema, (r) => `day ${r.day}`);
}

export interface ImportResult {
  readonly kind: ImportKind;
  readonly rows: number;
  readonly firstDay: string;
  readonly lastDay: string;
}

const CHUNK = 5_000;

function range(days: readonly string[]): { firstDay: string; lastDay: string } {
  const sorted = [...days].sort();
  return { firstDay: sorted[0] ?? '', lastDay: sorted[sorted.length - 1] ?? '' };
}

/** Upserts parsed traffic rows: a day and source already stored takes the uploaded visits. */
export async function importTrafficRows(
  db: Executor,
  portalId: number,
  rows: readonly TrafficRow[],
): Promise<ImportResult> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('web_traffic_daily')
      .values(rows.slice(i, i + CHUNK).map((r) => ({ portal_id: portalId, ...r })))
      .onConflict((oc) =>
        oc.columns(['portal_id', 'day', 'source']).doUpdateSet({ visits: sql`excluded.visits` }),
      )
      .execute();
  }
  return { kind: 'traffic', rows: rows.length, ...range(rows.map((r) => r.day)) };
}

/** Upserts parsed branded search rows: a day already stored takes the uploaded volume. */
export async function importBrandedSearchRows(
  db: Executor,
  portalId: number,
  rows: readonly BrandedSearchRow[],
): Promise<ImportResult> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    await db
      .insertInto('branded_search_daily')
      .values(rows.slice(i, i + CHUNK).map((r) => ({ portal_id: portalId, ...r })))
      .onConflict((oc) => oc.columns(['portal_id', 'day']).doUpdateSet({ searches: sql`excluded.searches` }))
      .execute();
  }
  return { kind: 'branded-search', rows: rows.length, ...range(rows.map((r) => r.day)) };
}

/** The portal is not installed here: an upload for it would be data nobody can see. */
export class UnknownPortalError extends Error {
  constructor(readonly portalId: number) {
    super(`portal ${portalId} is not installed`);
    this.name = 'UnknownPortalError';
  }
}

/**
 * Parses and stores one uploaded file in one transaction (a failure leaves nothing behind).
 * Throws `CsvImportError` for a refused file, `UnknownPortalError` for a portal we do not know.
 */
export async function importCsv(
  db: Database,
  portalId: number,
  kind: ImportKind,
  text: string,
): Promise<ImportResult> {
  const portal = await db
    .selectFrom('portals')
    .select('portal_id')
    .where('portal_id', '=', portalId)
    .executeTakeFirst();
  if (portal === undefined) throw new UnknownPortalError(portalId);
  if (kind === 'traffic') {
    const rows = parseTrafficCsv(text);
    return db.transaction().execute((trx) => importTrafficRows(trx, portalId, rows));
  }
  const rows = parseBrandedSearchCsv(text);
  return db.transaction().execute((trx) => importBrandedSearchRows(trx, portalId, rows));
}
