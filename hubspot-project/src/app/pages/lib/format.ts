import type { ReportCell, ReportContext, ValueFormatId } from '../generated/reports';

/**
 * How the pages print figures. An unknown figure prints as a dash and its reason is shown beside
 * it (never a 0); the formats are the backend's (`fmt` of a cell, `format` of a chart).
 */
export const DASH = '–';

const number = (digits: number) => new Intl.NumberFormat('en-US', { maximumFractionDigits: digits });

export function formatValue(value: number | string | null, format: ValueFormatId | undefined, currency: string | null): string {
  if (value === null) return DASH;
  if (typeof value === 'string') return value;
  switch (format) {
    case 'count':
      return number(0).format(value);
    case 'money':
      return currency
        ? new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(value)
        : number(2).format(value);
    case 'rate':
      return new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(value);
    case 'change':
      return `${value > 0 ? '+' : ''}${new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 }).format(value)}`;
    case 'days':
    case 'minutes':
      return number(1).format(value);
    default:
      return number(2).format(value);
  }
}

export function formatCell(cell: ReportCell, currency: string | null): string {
  return formatValue(cell.v, cell.fmt, currency);
}

/** "Month 2026-11": the unit and the chosen period. */
export function describePeriod(context: ReportContext): string {
  const unit = context.unit.replace('_', ' ').replace('90d', '90 days');
  return context.period ? `${context.period.label} (${unit})` : `no ${unit} stored yet`;
}

/** "2026-11-30 06:00 UTC" */
export function formatInstant(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}
