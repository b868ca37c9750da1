/**
 * CSV as RFC 4180 says: CRLF line ends, fields with a comma, quote, CR or LF quoted, quotes
 * doubled. Dates are ISO 8601 instants (UTC), numbers in plain JS notation (no grouping), null
 * and undefined empty. The response adds a UTF-8 byte-order mark so spreadsheets read the text
 * as UTF-8.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    value instanceof Date
      ? value.toISOString()
      : typeof value === 'number'
        ? Number.isFinite(value)
          ? String(value)
          : ''
        : toText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const UTF8_BOM = '\uFEFF';

/** A file name safe for Content-Disposition. */
export function csvFileName(...parts: readonly string[]): string {
  return `${parts
    .join('-')
    .replace(/[^\w.-]+/g, '_')
    .slice(0, 120)}.csv`;
}

/** A scalar as text; anything else (never expected from our queries) as JSON, not "[object Object]". */
export function toText(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
      ? String(value)
      : JSON.stringify(value);
}
