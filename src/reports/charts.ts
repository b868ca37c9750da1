import { createHash } from 'node:crypto';
import * as echarts from 'echarts';

/**
 * Charts rendered to SVG on the server with ECharts' SSR renderer (`renderToSVGString`): no
 * browser script, the page prints as it shows. Chosen over Observable Plot (see docs/reports.md):
 * ECharts ships a CommonJS build that loads in this app and its tests as is and needs no DOM,
 * where Plot needs a DOM implementation (linkedom, jsdom) and is ESM only.
 */

export type ValueFormat = 'count' | 'money' | 'rate' | 'days' | 'minutes' | 'number';

export interface ChartSpec {
  readonly type: 'bar' | 'line';
  readonly categories: readonly string[];
  readonly series: readonly { readonly name: string; readonly values: readonly (number | null)[] }[];
  readonly format: ValueFormat;
  /** Horizontal bars (long category names such as channels). */
  readonly horizontal?: boolean;
  readonly title: string;
}

const PALETTE = ['#0b7a75', '#ff7a59', '#516f90', '#f5c26b', '#7c98b6', '#00a4bd', '#b05c8e', '#6a78d1'];

function axisLabel(format: ValueFormat) {
  return (v: number) =>
    format === 'rate'
      ? `${Math.round(v * 1000) / 10} %`
      : Math.abs(v) >= 1_000_000
        ? `${Math.round(v / 100_000) / 10}M`
        : Math.abs(v) >= 10_000
          ? `${Math.round(v / 1_000)}k`
          : String(Math.round(v * 100) / 100);
}

/**
 * Rendered charts by their spec (which holds the data): ECharts takes 50–200 ms for a chart of
 * several series on a busy machine, and a report is viewed again and again between two KPI runs.
 * A new run changes the data, hence the key, so nothing stale is served. Bounded (least recently
 * used out) to about 10 MB.
 */
const cache = new Map<string, string>();
const CACHE_ENTRIES = 400;

export function clearChartCache(): void {
  cache.clear();
}

const DEFAULT_SIZE = { width: 640, height: 280 };

/** The cache key of a chart: a hash of its spec (data included) and size. */
export function chartKey(spec: ChartSpec, size = DEFAULT_SIZE): string {
  return createHash('sha1')
    .update(JSON.stringify([spec, size]))
    .digest('base64');
}

/** A chart already drawn in this process, by its key. */
export function cachedChart(key: string): string | undefined {
  return cache.get(key);
}

/** Keeps a chart drawn elsewhere (another process, shared through Redis) under its key. */
export function rememberChart(key: string, svg: string): void {
  cache.set(key, svg);
  if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
}

export function renderChartSvg(spec: ChartSpec, size = DEFAULT_SIZE): string {
  const key = chartKey(spec, size);
  const hit = cache.get(key);
  if (hit !== undefined) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const svg = renderUncached(spec, size);
  rememberChart(key, svg);
  return svg;
}

function renderUncached(spec: ChartSpec, size: { width: number; height: number }): string {
  const legendRows = spec.series.length > 1 ? Math.ceil(spec.series.length / 4) : 0;
  const height =
    (spec.horizontal ? Math.max(size.height, 40 + spec.categories.length * 26) : size.height) +
    Math.max(0, legendRows - 1) * 24;
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: size.width, height });
  try {
    const category = {
      type: 'category' as const,
      data: [...spec.categories],
      axisLabel: { color: '#33475b', fontSize: 11, hideOverlap: true },
      axisTick: { alignWithLabel: true },
      ...(spec.horizontal ? { inverse: true } : {}),
    };
    const value = {
      type: 'value' as const,
      axisLabel: { color: '#516f90', fontSize: 11, formatter: axisLabel(spec.format) },
      splitLine: { lineStyle: { color: '#e5eaf0' } },
    };
    chart.setOption({
      animation: false,
      color: PALETTE,
      aria: { enabled: true, label: { description: spec.title } },
      textStyle: { fontFamily: 'system-ui, -apple-system, Segoe UI, Roboto, sans-serif' },
      grid: {
        left: spec.horizontal ? 150 : 56,
        right: 24,
        // About four legend items fit on a line of a 640 px chart.
        top: spec.series.length > 1 ? 14 + Math.ceil(spec.series.length / 4) * 24 : 16,
        bottom: 32,
        containLabel: false,
      },
      // SSR measures text without a browser, so leave generous room between legend items.
      legend:
        spec.series.length > 1
          ? { top: 4, type: 'plain', itemGap: 28, textStyle: { color: '#33475b', fontSize: 11 } }
          : undefined,
      xAxis: spec.horizontal ? value : category,
      yAxis: spec.horizontal ? category : value,
      series: spec.series.map((s) => ({
        type: spec.type,
        name: s.name,
        data: [...s.values],
        connectNulls: false,
        // Markers on many lines triple the SVG and the time to draw it.
        symbol: spec.series.length > 3 ? 'none' : 'circle',
        symbolSize: 5,
        silent: true,
        barMaxWidth: 28,
      })),
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}
