import fs from 'node:fs';
import path from 'node:path';

import type { AggregatedPath } from '../../../../src/kpi/models/attribution';
import { parseChannelPath } from '../../../../src/kpi/models/attribution';

/** The published reference data set and its expected figures (source and licence: the folder's README). */
export const REFERENCE_DIR = path.resolve(__dirname, '../../../fixtures/channelattribution');

export function referenceFile(name: string): string {
  return path.join(REFERENCE_DIR, name);
}

/** Rows of a small CSV as objects keyed by the header's column names. */
export function readCsv(name: string, separator = ','): Record<string, string>[] {
  const [header, ...rows] = fs
    .readFileSync(referenceFile(name), 'utf8')
    .split(/\r?\n/)
    .filter((line) => line.trim() !== '');
  const columns = header!.split(separator);
  return rows.map((row) => {
    const cells = row.split(separator);
    return Object.fromEntries(columns.map((c, i) => [c, cells[i] ?? '']));
  });
}

/** Data.csv as aggregated paths. */
export function readReferencePaths(): AggregatedPath[] {
  return readCsv('Data.csv', ';').map((row) => ({
    path: parseChannelPath(row.path!)!,
    conversions: Number(row.total_conversions),
    value: Number(row.total_conversion_value),
    nulls: Number(row.total_null),
  }));
}
