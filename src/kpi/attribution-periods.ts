import type { ConversionKind } from './models/attribution';
import { assertExactCents, ATTRIBUTION_MODELS } from './models/attribution';
import type { SnapshotPeriod } from './queries/snapshot-periods';

const MODEL_COUNT = ATTRIBUTION_MODELS.length;

/** One stored row of `kpi_attribution_totals` (without portal and run). */
export interface PeriodTotalRow {
  readonly kind: ConversionKind;
  readonly model: string;
  readonly period: SnapshotPeriod;
  readonly breakdown: 'all' | 'source' | 'pipeline' | 'owner';
  readonly breakdownValue: string;
  readonly channel: string;
  /** Currency units for revenue (exact to the cent), a count otherwise. */
  readonly credit: number;
  readonly conversions: number;
}

/**
 * Attribution totals per period, summed while the conversions are credited.
 *
 * A conversion is first summed into its *group*: the slice between two consecutive period bounds
 * that holds its moment, its source, its pipeline and its owner. Each slice lies wholly inside or outside every
 * period, so the groups (a few thousand) are spread over periods and breakdowns once, at the end,
 * instead of every touch being added to every period and breakdown it belongs to.
 * Revenue credits are summed in whole cents (exact within the money range, see `assertExactCents`;
 * beyond it `rows()` throws rather than store a rounded figure).
 */
export class PeriodTotals {
  private readonly bounds: number[];
  /** Period indexes containing slice s (s ≥ 1: [bounds[s − 1], bounds[s])). */
  private readonly slicePeriods: number[][];
  private readonly groups = new Map<number, number>();
  private readonly groupKeys: { slice: number; source: number; pipeline: number; owner: number }[] = [];
  private cells = new Float64Array(0);
  private seen = new Int32Array(0);
  private serial = 0;
  private readonly stride: number;

  constructor(
    readonly kind: ConversionKind,
    private readonly periods: readonly SnapshotPeriod[],
    private readonly channelCount: number,
    /** How many sources, pipelines and owners there are (their codes are below these). */
    private readonly dimensions: readonly [number, number, number],
  ) {
    const instants = new Set<number>();
    for (const p of periods) {
      instants.add(p.period.start);
      instants.add(p.period.end);
    }
    this.bounds = [...instants].sort((a, b) => a - b);
    this.slicePeriods = this.bounds.map((end, s) => {
      if (s === 0) return [];
      const start = this.bounds[s - 1]!;
      const inside: number[] = [];
      periods.forEach((p, i) => {
        if (p.period.start <= start && end <= p.period.end) inside.push(i);
      });
      return inside;
    });
    // Per group and channel: MODEL_COUNT credits, then the conversion count.
    this.stride = channelCount * (MODEL_COUNT + 1);
  }

  /**
   * The group of a conversion at `moment` with `source`, `pipeline` and `owner` codes (pipeline −1:
   * none), or −1 when no period holds the moment. Call once per conversion, then `add` per touch.
   */
  group(moment: number, source: number, pipeline: number, owner: number): number {
    let lo = 0;
    let hi = this.bounds.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bounds[mid]! <= moment) lo = mid + 1;
      else hi = mid;
    }
    const slice = lo;
    if (slice === 0 || slice >= this.bounds.length || this.slicePeriods[slice]!.length === 0) return -1;
    this.serial++;
    const [sources, pipelines, owners] = this.dimensions;
    const key = ((slice * sources + source) * (pipelines + 1) + pipeline + 1) * owners + owner;
    let g = this.groups.get(key);
    if (g === undefined) {
      g = this.groupKeys.length;
      this.groups.set(key, g);
      this.groupKeys.push({ slice, source, pipeline, owner });
      if ((g + 1) * this.stride > this.cells.length) {
        const grown = new Float64Array(Math.max(this.stride * 64, this.cells.length * 2));
        grown.set(this.cells);
        this.cells = grown;
        const seen = new Int32Array(grown.length / (MODEL_COUNT + 1));
        seen.set(this.seen);
        this.seen = seen;
      }
    }
    return g;
  }

  /** Adds one touch's credits (`credits[m]` for model m; cents for revenue) to group g's channel. */
  add(g: number, channel: number, credits: Float64Array): void {
    const base = g * this.stride + channel * (MODEL_COUNT + 1);
    for (let m = 0; m < MODEL_COUNT; m++) this.cells[base + m]! += credits[m]!;
    const slot = g * this.channelCount + channel;
    if (this.seen[slot] !== this.serial) {
      this.seen[slot] = this.serial;
      this.cells[base + MODEL_COUNT]! += 1;
    }
  }

  /** The rows to store: every (model, period, breakdown, channel) with at least one conversion. */
  rows(
    channels: readonly string[],
    sources: readonly string[],
    pipelines: readonly string[],
    owners: readonly string[],
  ): PeriodTotalRow[] {
    const money = this.kind === 'revenue';
    const buckets = new Map<
      string,
      { period: number; breakdown: PeriodTotalRow['breakdown']; value: string; sums: Float64Array }
    >();
    const bucket = (period: number, breakdown: PeriodTotalRow['breakdown'], value: string) => {
      const key = `${period}\u0000${breakdown}\u0000${value}`;
      let b = buckets.get(key);
      if (b === undefined) {
        b = { period, breakdown, value, sums: new Float64Array(this.stride) };
        buckets.set(key, b);
      }
      return b.sums;
    };
    this.groupKeys.forEach((k, g) => {
      const cells = this.cells.subarray(g * this.stride, (g + 1) * this.stride);
      for (const period of this.slicePeriods[k.slice]!) {
        const targets = [
          bucket(period, 'all', ''),
          bucket(period, 'source', sources[k.source]!),
          bucket(period, 'owner', owners[k.owner]!),
        ];
        if (k.pipeline >= 0) targets.push(bucket(period, 'pipeline', pipelines[k.pipeline]!));
        for (const sums of targets) for (let i = 0; i < this.stride; i++) sums[i]! += cells[i]!;
      }
    });
    const out: PeriodTotalRow[] = [];
    for (const b of buckets.values()) {
      for (let ch = 0; ch < this.channelCount; ch++) {
        const base = ch * (MODEL_COUNT + 1);
        const conversions = b.sums[base + MODEL_COUNT]!;
        if (conversions === 0) continue;
        for (let m = 0; m < MODEL_COUNT; m++) {
          const sum = b.sums[base + m]!;
          if (money) assertExactCents(sum, `${this.kind} attribution total of ${channels[ch]}`);
          out.push({
            kind: this.kind,
            model: ATTRIBUTION_MODELS[m]!,
            period: this.periods[b.period]!,
            breakdown: b.breakdown,
            breakdownValue: b.value,
            channel: channels[ch]!,
            credit: money ? sum / 100 : sum,
            conversions,
          });
        }
      }
    }
    return out;
  }
}
