import {
  BarChart,
  Flex,
  Heading,
  LineChart,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableHeader,
  TableRow,
  Text,
} from '@hubspot/ui-extensions';
import type { ChartColor } from '@hubspot/ui-extensions';
import type {
  ReportCell,
  ReportChart,
  ReportSection as Section,
  ReportTable,
  ValueFormatId,
} from '../generated/reports';
import { formatCell } from '../lib/format';

/** One section of a view: its note, its chart (SDK chart components) and the tables beside it. */
export function ReportSection({ section, currency }: { section: Section; currency: string | null }) {
  return (
    <Flex direction="column" gap="sm" testId={`section-${section.id}`}>
      <Heading>{section.title}</Heading>
      {section.note ? <Text variant="microcopy">{section.note}</Text> : null}
      {section.chart ? <Chart chart={section.chart} id={section.id} currency={currency} /> : null}
      {section.tables.map((table) => (
        <FigureTable key={table.id} table={table} currency={currency} />
      ))}
    </Flex>
  );
}

/**
 * A chart's data as SDK rows: one row per known value (an unknown value is left out, never
 * drawn as 0), the series told apart by colour when there are several.
 *
 * Rows go category by category: the SDK draws data "in the order it's provided" (BarChartProps /
 * LineChartProps `data`, @hubspot/ui-extensions chart.synced.d.ts), so series by series would put
 * a period that the first series does not know after the later ones. A category no series knows
 * has no row, so it is not on the axis at all.
 */
export function chartRows(chart: ReportChart): { category: string; series: string; value: number }[] {
  return chart.categories.flatMap((category, i) =>
    chart.series.flatMap((s) => {
      const value = s.values[i];
      return value === null || value === undefined ? [] : [{ category, series: s.name, value: chartValue(value, chart.format) }];
    }),
  );
}

/**
 * The SDK's charts print values as given: ChartOptions and ChartAxis have no number format or
 * tick formatter (chart.synced.d.ts). So a rate is drawn in percent and the unit goes into the
 * y-axis label, which the SDK also shows in the legend and tooltips.
 */
function chartValue(value: number, format: ValueFormatId): number {
  return format === 'rate' || format === 'change' ? Math.round(value * 1000) / 10 : value;
}

export function chartValueLabel(chart: ReportChart, currency: string | null): string {
  const unit =
    chart.format === 'rate' || chart.format === 'change'
      ? '%'
      : chart.format === 'money'
        ? currency
        : chart.format === 'days' || chart.format === 'minutes'
          ? chart.format
          : null;
  return unit ? `${chart.title} (${unit})` : chart.title;
}

/** The SDK's chart colours (ChartColor), in its order: each series keeps its colour whatever its first row. */
const CHART_COLORS = [
  'orange',
  'aqua',
  'purple',
  'yellow',
  'pink',
  'blue',
  'green',
  'darkOrange',
  'darkAqua',
  'darkPurple',
  'darkYellow',
  'darkPink',
  'darkBlue',
  'darkGreen',
] as const satisfies readonly ChartColor[];

function Chart({ chart, id, currency }: { chart: ReportChart; id: string; currency: string | null }) {
  const data = chartRows(chart);
  if (data.length === 0)
    return (
      <Text variant="microcopy" testId={`chart-empty-${id}`}>
        {chart.title}: no known value to draw for this selection.
      </Text>
    );
  const several = chart.series.length > 1;
  const colors = Object.fromEntries(
    chart.series.slice(0, CHART_COLORS.length).map((s, i) => [s.name, CHART_COLORS[i]!]),
  );
  // `horizontal` is the web report's: the SDK's BarChart has no orientation, so bars stand upright.
  const props = {
    testId: `chart-${id}`,
    data,
    axes: {
      x: { field: 'category', fieldType: 'category' as const, label: '' },
      y: { field: 'value', fieldType: 'linear' as const, label: chartValueLabel(chart, currency) },
      ...(several ? { options: { groupFieldByColor: 'series', colors } } : {}),
    },
    options: { title: chart.title, showLegend: several, showTooltips: true },
  };
  return chart.type === 'line' ? <LineChart {...props} /> : <BarChart {...props} />;
}

function FigureTable({ table, currency }: { table: ReportTable; currency: string | null }) {
  return (
    <Flex direction="column" gap="xs">
      <Text format={{ fontWeight: 'demibold' }}>{table.title}</Text>
      {table.caption ? (
        <Text variant="microcopy" testId={`caption-${table.id}`}>
          {table.caption}
        </Text>
      ) : null}
      {table.rows.length === 0 ? (
        <Text testId={`table-empty-${table.id}`}>No rows for this selection.</Text>
      ) : (
        <Table bordered density="condensed" testId={`table-${table.id}`}>
          <TableHead>
            <TableRow>
              {table.columns.map((column, i) => (
                <TableHeader key={i}>{column}</TableHeader>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {table.rows.map((row, r) => (
              <TableRow key={r}>
                {row.map((cell, c) => (
                  <TableCell key={c}>
                    <Figure cell={cell} currency={currency} />
                  </TableCell>
                ))}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
    </Flex>
  );
}

/** A figure, or a dash with the reason it is unknown. */
function Figure({ cell, currency }: { cell: ReportCell; currency: string | null }) {
  const text = formatCell(cell, currency);
  if (cell.v === null && cell.reason)
    return (
      <>
        <Text>{text}</Text>
        <Text variant="microcopy">Unknown: {cell.reason}</Text>
      </>
    );
  return cell.strong ? <Text format={{ fontWeight: 'bold' }}>{text}</Text> : <Text>{text}</Text>;
}
