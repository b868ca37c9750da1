import type { Figure } from '../generated/api';

/** How the cards print numbers: a figure that is unknown prints as a dash, its reason beside it. */
export const DASH = '–';

export function formatNumber(value: number | null, digits = 1): string {
  if (value === null) return DASH;
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: digits }).format(value);
}

export function formatMoney(value: number | null, currency: string | null): string {
  if (value === null) return DASH;
  if (!currency) return formatNumber(value, 2);
  return new Intl.NumberFormat('en-US', { style: 'currency', currency, maximumFractionDigits: 0 }).format(value);
}

export function formatPercent(value: number | null, digits = 0): string {
  if (value === null) return DASH;
  return new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: digits }).format(value);
}

export function formatDate(iso: string): string {
  return iso.slice(0, 10);
}

export function formatFigure(figure: Figure, format: (v: number | null) => string = (v) => formatNumber(v)): string {
  return format(figure.value);
}

export function channelLabel(channel: string): string {
  if (channel.startsWith('(')) return channel;
  return channel
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}
