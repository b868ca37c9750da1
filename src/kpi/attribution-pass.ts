import { sql } from 'kysely';

import type { Executor } from '../db';
import type { Conversion, ConversionKind, Touch } from './models/attribution';
import {
  assertExactCents,
  ATTRIBUTION_MODELS,
  buildMarkovModel,
  buildShapleyModel,
  createMarkovAccumulator,
  createShapleyAccumulator,
  NO_TOUCH_CHANNEL,
} from './models/attribution';
import type { MarkovAccumulator, MarkovModel, ShapleyAccumulator } from './models/attribution';
import type { PeriodTotalRow } from './attribution-periods';
import { PeriodTotals } from './attribution-periods';
import { BinaryCopyReader, BinaryCopyWriter, openCopyIn, openCopyOut } from './queries/pg-copy';
import type { CopyClient } from './queries/pg-copy';
import type { SnapshotPeriod } from './queries/snapshot-periods';
import { ChannelCodes, TouchStore } from './touch-store';
import type { DataDriven, PositionShareCache, WideCredits } from './wide-credits';
import { creditCountedTouches } from './wide-credits';

/**
 * Attribution of every conversion of a portal, in one read of its touches:
 * 1. live contacts, then every touch (one sequential scan), then deals with their live contacts are
 *    streamed out of Postgres (`COPY … TO STDOUT`, binary) into compact typed arrays; touches are
 *    grouped and ordered here, not in Postgres. On the way they feed the three Markov chains
 *    (which need every path before any conversion can be credited) and the per-contact touch facts;
 * 2. every conversion is credited under the eleven models (`creditCountedTouches`, the pure models'
 *    numbers) and written packed, one `kpi_credits` row per conversion, with a binary `COPY`;
 * 3. channel totals per kind and model are summed on the way, over all time and per period ×
 *    breakdown (`PeriodTotals`; by the conversion's moment, its source, pipeline and owner);
 *    per-contact touch facts (count, first and last channel) are handed to `onTouchFacts` once
 *    the touches are read, for the contact rows (`writeTouchFacts`).
 * Conversions: contact_create at each live contact's createdate over
 * its own touches; deal_create at each live deal's createdate over its live contacts' touches;
 * revenue at the closedate of won deals with a closedate and a home amount. A deal's lead-creation
 * moment is its lead contact's createdate (`kpi_tmp_deal_base.contact_created_at`). Non-converting
 * journeys of the Markov chains and Shapley games: live contacts without a live deal (deal
 * creation), closed-lost deals (revenue). Runs inside the computation's transaction; reads
 * `kpi_tmp_deal_base` and `kpi_tmp_contact_base`.
 */

export interface AttributionPassArgs {
  readonly portalId: number;
  readonly runId: number;
  /** The periods attribution totals are summed for (those of the snapshots). */
  readonly periods: readonly SnapshotPeriod[];
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  /** Called once every touch is read, with the per-contact touch facts (before the crediting). */
  readonly onTouchFacts?: ((facts: TouchFacts) => void) | undefined;
}

/** Per live contact with touches: how many, and the channels of the first and the latest one. */
export interface TouchFacts {
  readonly ids: readonly number[];
  readonly touches: readonly number[];
  /** Channel codes of `channels`. */
  readonly first: readonly number[];
  readonly last: readonly number[];
  readonly channels: ChannelCodes;
}

export interface ChannelTotal {
  readonly kind: ConversionKind;
  readonly model: string;
  readonly channel: string;
  readonly credit: number;
  readonly conversions: number;
  readonly removalEffect: number | null;
}

export interface AttributionPassResult {
  readonly counts: Record<string, number>;
  readonly channelTotals: readonly ChannelTotal[];
  readonly periodTotals: readonly PeriodTotalRow[];
  /** Wall ms of the read and of the crediting + write. */
  readonly timings: Record<string, number>;
}

const OUTCOME_OPEN = 0;
const OUTCOME_WON = 1;
const OUTCOME_LOST = 2;
const KINDS: readonly ConversionKind[] = ['contact_create', 'deal_create', 'revenue'];
const MODEL_COUNT = ATTRIBUTION_MODELS.length;
const REVENUE_CHECK_EVERY = 4_096;

function checkAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new Error('kpi computation aborted');
}

function assertPortalId(portalId: number): void {
  // Inlined into COPY statements, which take no parameters.
  if (!Number.isSafeInteger(portalId) || portalId <= 0) throw new RangeError(`bad portal id ${portalId}`);
}

/** Live contacts as read, each with its touches as a sorted range of the store. */
interface ContactBuffer {
  ids: number[];
  createdAt: number[];
  source: number[];
  owner: number[];
  touchFrom: number[];
  touchTo: number[];
}

interface DealBuffer {
  ids: number[];
  createdAt: number[];
  closeAt: number[];
  contactCreatedAt: number[];
  outcome: number[];
  amountHome: number[];
  source: number[];
  pipeline: number[];
  owner: number[];
  touchFrom: number[];
  touchTo: number[];
}

async function forEachTuple(
  reader: BinaryCopyReader,
  signal: AbortSignal | undefined,
  each: () => void,
): Promise<void> {
  let rows = 0;
  for (;;) {
    let more = reader.tryNext();
    if (more === null) more = await reader.next();
    if (!more) return;
    each();
    if (++rows % 65_536 === 0) checkAborted(signal);
  }
}

async function readStream(
  client: CopyClient,
  statement: string,
  signal: AbortSignal | undefined,
  each: (reader: BinaryCopyReader) => void,
): Promise<void> {
  const reader = new BinaryCopyReader(openCopyOut(client, statement));
  try {
    await forEachTuple(reader, signal, () => each(reader));
  } catch (err) {
    await reader.discard();
    throw err;
  }
}

function pathOf(store: TouchStore, channels: ChannelCodes, from: number, to: number): string[] {
  const path = new Array<string>(to - from);
  for (let i = from; i < to; i++) path[i - from] = channels.names[store.channel[i]!]!;
  return path;
}

/** `client` is the computation's session (withRawClient, src/platform/db), in its transaction. */
export async function runAttributionPass(
  { client }: { client: CopyClient },
  args: AttributionPassArgs,
): Promise<AttributionPassResult> {
  const { portalId, signal } = args;
  assertPortalId(portalId);
  const timings: Record<string, number> = {};
  let t0 = Date.now();
  const store = new TouchStore();
  const channels = new ChannelCodes();
  const accumulators = new Map<ConversionKind, { markov: MarkovAccumulator; shapley: ShapleyAccumulator }>(
    KINDS.map((k) => [k, { markov: createMarkovAccumulator(), shapley: createShapleyAccumulator() }]),
  );
  // The same population of paths feeds the chain and the game of each kind.
  const addPath = (
    kind: ConversionKind,
    path: string[],
    conversions: number,
    value: number,
    nulls: number,
  ) => {
    const acc = accumulators.get(kind)!;
    acc.markov.add(path, conversions, value, nulls);
    acc.shapley.add(path, conversions, nulls);
  };
  const sources = new ChannelCodes();
  const pipelines = new ChannelCodes();
  const owners = new ChannelCodes();

  // 1a. Live contacts; whether they have a live deal (deal creation's non-converting journeys).
  const contacts: ContactBuffer = {
    ids: [],
    createdAt: [],
    source: [],
    owner: [],
    touchFrom: [],
    touchTo: [],
  };
  const hasDeal: boolean[] = [];
  const contactIndex = new Map<number, number>();
  await readStream(
    client,
    `copy (
      select contact_id, created_at, contact_id in (
          select dc.contact_id from deal_contacts dc join kpi_tmp_deal_base d on d.deal_id = dc.deal_id
          where dc.portal_id = ${portalId}), source_key, owner_key
      from kpi_tmp_contact_base
    ) to stdout with (format binary)`,
    signal,
    (r) => {
      const id = r.readInt8();
      contactIndex.set(id, contacts.ids.length);
      contacts.ids.push(id);
      contacts.createdAt.push(r.readTimestampMs());
      hasDeal.push(r.readBool() === true);
      contacts.source.push(sources.code(r.readText()!));
      contacts.owner.push(owners.code(r.readText()!));
    },
  );

  // 1b. Every touch of the portal in one sequential scan (no join, no sort in Postgres), grouped
  // by contact here with a counting sort, then each contact's touches sorted by time then id.
  let owner = new Int32Array(1 << 16);
  await readStream(
    client,
    `copy (select contact_id, touch_id, occurred_at, channel from touches where portal_id = ${portalId})
     to stdout with (format binary)`,
    signal,
    (r) => {
      const c = contactIndex.get(r.readInt8());
      if (c === undefined) return; // archived or merged-away contact
      if (store.count === owner.length) {
        const grown = new Int32Array(owner.length * 2);
        grown.set(owner);
        owner = grown;
      }
      owner[store.count] = c;
      // The id's and the channel's bytes are used where they lie in the reader's buffer.
      const idLength = r.skipField();
      const idStart = r.spanStart;
      const at = r.readTimestampMs();
      const channelLength = r.skipField();
      const buf = r.buffer;
      const channel = channels.codeOfBytes(buf, r.spanStart, r.spanStart + channelLength);
      store.pushFrom(at, channel, buf, idStart, idStart + idLength);
    },
  );
  const starts = store.groupBy(owner, contacts.ids.length);
  owner = new Int32Array(0);
  const touchFacts = {
    ids: [] as number[],
    touches: [] as number[],
    first: [] as number[],
    last: [] as number[],
    channels,
  };
  for (let c = 0; c < contacts.ids.length; c++) {
    const from = starts[c]!;
    const to = starts[c + 1]!;
    contacts.touchFrom.push(from);
    contacts.touchTo.push(to);
    if (to === from) continue;
    store.sortRange(from, to);
    const counted = store.countAtOrBefore(from, to, contacts.createdAt[c]!);
    if (counted > 0) addPath('contact_create', pathOf(store, channels, from, from + counted), 1, 1, 0);
    if (!hasDeal[c]) addPath('deal_create', pathOf(store, channels, from, to), 0, 0, 1);
    touchFacts.ids.push(contacts.ids[c]!);
    touchFacts.touches.push(to - from);
    touchFacts.first.push(store.channel[from]!);
    touchFacts.last.push(store.channel[to - 1]!);
  }
  checkAborted(signal);
  args.onTouchFacts?.(touchFacts);

  // 1c. Deals with their live contacts; a deal's touches are copies of its contacts' ones.
  const deals: DealBuffer = {
    ids: [],
    createdAt: [],
    closeAt: [],
    contactCreatedAt: [],
    outcome: [],
    amountHome: [],
    source: [],
    pipeline: [],
    owner: [],
    touchFrom: [],
    touchTo: [],
  };
  let current = Number.NaN;
  const closeDeal = () => {
    if (Number.isNaN(current)) return;
    const d = deals.ids.length - 1;
    const from = deals.touchFrom[d]!;
    const to = store.count;
    deals.touchTo[d] = to;
    store.sortRange(from, to);
    const created = store.countAtOrBefore(from, to, deals.createdAt[d]!);
    if (created > 0) addPath('deal_create', pathOf(store, channels, from, from + created), 1, 1, 0);
    const outcome = deals.outcome[d]!;
    const close = deals.closeAt[d]!;
    const amount = deals.amountHome[d]!;
    if (outcome === OUTCOME_WON && !Number.isNaN(close) && !Number.isNaN(amount)) {
      const won = store.countAtOrBefore(from, to, close);
      if (won > 0) addPath('revenue', pathOf(store, channels, from, from + won), 1, amount, 0);
    } else if (outcome === OUTCOME_LOST) {
      const lost = Number.isNaN(close) ? to - from : store.countAtOrBefore(from, to, close);
      if (lost > 0) addPath('revenue', pathOf(store, channels, from, from + lost), 0, 0, 1);
    }
  };
  await readStream(
    client,
    `copy (
      select d.deal_id, d.created_at, d.close_date, d.contact_created_at,
        case d.outcome when 'won' then ${OUTCOME_WON} when 'lost' then ${OUTCOME_LOST} else ${OUTCOME_OPEN} end::int4,
        d.amount_home::float8, d.source_key, d.pipeline_id, d.owner_key, c.contact_id
      from kpi_tmp_deal_base d
      left join (deal_contacts dc
        join contacts c on c.portal_id = dc.portal_id and c.contact_id = dc.contact_id
          and not c.archived and c.merged_into is null)
        on dc.portal_id = ${portalId} and dc.deal_id = d.deal_id
      order by d.deal_id
    ) to stdout with (format binary)`,
    signal,
    (r) => {
      const id = r.readInt8();
      if (id !== current) {
        closeDeal();
        current = id;
        deals.ids.push(id);
        deals.createdAt.push(r.readTimestampMs());
        deals.closeAt.push(r.readTimestampMs());
        deals.contactCreatedAt.push(r.readTimestampMs());
        deals.outcome.push(readInt4(r));
        deals.amountHome.push(r.readFloat8());
        deals.source.push(sources.code(r.readText()!));
        deals.pipeline.push(pipelines.code(r.readText()!));
        deals.owner.push(owners.code(r.readText()!));
        deals.touchFrom.push(store.count);
        deals.touchTo.push(store.count);
      } else {
        for (let f = 0; f < 8; f++) r.readBytes();
      }
      const contactId = r.readInt8();
      if (Number.isNaN(contactId)) return;
      const c = contactIndex.get(contactId)!;
      for (let i = contacts.touchFrom[c]!; i < contacts.touchTo[c]!; i++) store.pushCopy(i);
    },
  );
  closeDeal();
  contactIndex.clear();
  timings['attribution read'] = Date.now() - t0;
  t0 = Date.now();

  const chains = new Map<ConversionKind, DataDriven & { markov: MarkovModel }>(
    KINDS.map((k) => [
      k,
      {
        markov: buildMarkovModel(accumulators.get(k)!.markov.snapshot()),
        shapley: buildShapleyModel(accumulators.get(k)!.shapley.snapshot()),
      },
    ]),
  );
  const noTouch = channels.code(NO_TOUCH_CHANNEL);
  const channelCount = channels.names.length;
  const periodTotals = new Map(
    KINDS.map((k) => [
      k,
      new PeriodTotals(k, args.periods, channelCount, [
        sources.names.length,
        pipelines.names.length,
        owners.names.length,
      ]),
    ]),
  );
  const totals = new Map(
    KINDS.map((k) => [
      k,
      {
        credit: new Float64Array(MODEL_COUNT * channelCount),
        conversions: new Float64Array(channelCount),
        seen: new Int32Array(channelCount).fill(-1),
        used: new Uint8Array(channelCount),
        serial: 0,
      },
    ]),
  );

  // 2. Credit and write.
  const copy = openCopyIn(
    client,
    `copy kpi_credits_by_run (portal_id, conversion_kind, conversion_id, converted_at, value, touch_ids, channels, credits, run_id)
     from stdin with (format binary)`,
  );
  const writer = new BinaryCopyWriter(copy);
  const cache: PositionShareCache = new Map();
  const scratch = new Float64Array(MODEL_COUNT);
  const emptyId = Buffer.alloc(0);
  const total = contacts.ids.length + deals.ids.length;
  let done = 0;
  const counts: Record<string, number> = { contact_create: 0, deal_create: 0, revenue: 0 };

  const touchesOf = (from: number, n: number): Touch[] => {
    const touches = new Array<Touch>(n);
    for (let i = 0; i < n; i++)
      touches[i] = { id: '', at: store.at[from + i]!, channel: channels.names[store.channel[from + i]!]! };
    return touches;
  };

  const emit = async (
    kind: ConversionKind,
    id: number,
    convertedAt: number,
    from: number,
    wide: WideCredits,
    source: number,
    pipeline: number,
    owner: number,
  ): Promise<void> => {
    const n = wide.touches.length;
    const rows = Math.max(1, n);
    writer.beginTuple(9);
    writer.writeInt8(portalId);
    writer.writeText(kind);
    writer.writeInt8(id);
    writer.writeTimestampMs(convertedAt);
    writer.writeFloat8(wide.value);
    if (n === 0) writer.writeTextArray(1, () => emptyId);
    else
      writer.writeTextArrayFrom(
        n,
        store.ids,
        (i) => store.idStart[from + i]!,
        (i) => store.idStart[from + i]! + store.idLength[from + i]!,
      );
    writer.writeTextArray(rows, (i) => channels.bytes[n === 0 ? noTouch : store.channel[from + i]!]!);
    writer.writeFloat8Matrix(MODEL_COUNT, rows, (m, i) => wide.credits[m]![i]!);
    writer.writeInt8(args.runId);
    const t = totals.get(kind)!;
    const serial = t.serial++;
    // Revenue is summed in whole cents (credits are cents ÷ 100), so totals are exact to the cent.
    const scale = kind === 'revenue' ? 100 : 0;
    const periods = periodTotals.get(kind)!;
    const group = periods.group(convertedAt, source, pipeline, owner);
    for (let i = 0; i < rows; i++) {
      const ch = n === 0 ? noTouch : store.channel[from + i]!;
      t.used[ch] = 1;
      if (t.seen[ch] !== serial) {
        t.seen[ch] = serial;
        t.conversions[ch]! += 1;
      }
      for (let m = 0; m < MODEL_COUNT; m++) {
        const c = wide.credits[m]![i]!;
        const credit = scale === 0 ? c : Math.round(c * scale);
        t.credit[m * channelCount + ch]! += credit;
        scratch[m] = credit;
      }
      if (group >= 0) periods.add(group, ch, scratch);
    }
    counts[kind]! += 1;
    await writer.flushIfFull();
  };

  try {
    const contactChain = chains.get('contact_create')!;
    for (let c = 0; c < contacts.ids.length; c++) {
      const from = contacts.touchFrom[c]!;
      const createdAt = contacts.createdAt[c]!;
      const n = store.countAtOrBefore(from, contacts.touchTo[c]!, createdAt);
      const conversion: Conversion = {
        id: '',
        kind: 'contact_create',
        convertedAt: createdAt,
        contactCreatedAt: createdAt,
        touches: [],
      };
      await emit(
        'contact_create',
        contacts.ids[c]!,
        createdAt,
        from,
        creditCountedTouches(conversion, touchesOf(from, n), contactChain, cache),
        contacts.source[c]!,
        -1,
        contacts.owner[c]!,
      );
      if (++done % REVENUE_CHECK_EVERY === 0) {
        checkAborted(signal);
        args.onProgress?.(done, total);
      }
    }
    const dealChain = chains.get('deal_create')!;
    const revenueChain = chains.get('revenue')!;
    for (let d = 0; d < deals.ids.length; d++) {
      const from = deals.touchFrom[d]!;
      const to = deals.touchTo[d]!;
      const id = deals.ids[d]!;
      const createdAt = deals.createdAt[d]!;
      const contactCreatedAt = deals.contactCreatedAt[d]!;
      const base = {
        id: '',
        dealCreatedAt: createdAt,
        touches: [],
        ...(Number.isNaN(contactCreatedAt) ? {} : { contactCreatedAt }),
      };
      const n = store.countAtOrBefore(from, to, createdAt);
      let wide = creditCountedTouches(
        { ...base, kind: 'deal_create', convertedAt: createdAt },
        touchesOf(from, n),
        dealChain,
        cache,
      );
      const source = deals.source[d]!;
      const pipeline = deals.pipeline[d]!;
      const owner = deals.owner[d]!;
      await emit('deal_create', id, createdAt, from, wide, source, pipeline, owner);
      const close = deals.closeAt[d]!;
      const amount = deals.amountHome[d]!;
      if (deals.outcome[d] === OUTCOME_WON && !Number.isNaN(close) && !Number.isNaN(amount)) {
        const w = store.countAtOrBefore(from, to, close);
        wide = creditCountedTouches(
          { ...base, kind: 'revenue', convertedAt: close, value: amount },
          touchesOf(from, w),
          revenueChain,
          cache,
        );
        await emit('revenue', id, close, from, wide, source, pipeline, owner);
      }
      if (++done % REVENUE_CHECK_EVERY === 0) {
        checkAborted(signal);
        args.onProgress?.(done, total);
      }
    }
    counts.creditRows = await writer.finish();
  } catch (err) {
    copy.destroy(err instanceof Error ? err : new Error(String(err)));
    await new Promise((resolve) => copy.once('close', resolve));
    throw err;
  }
  args.onProgress?.(done, total);
  timings['attribution credits'] = Date.now() - t0;

  const channelTotals: ChannelTotal[] = [];
  for (const kind of KINDS) {
    const t = totals.get(kind)!;
    const effects = chains.get(kind)!.markov.removalEffects;
    for (let ch = 0; ch < channelCount; ch++) {
      if (t.used[ch] !== 1) continue;
      const channel = channels.names[ch]!;
      ATTRIBUTION_MODELS.forEach((model, m) => {
        const sum = t.credit[m * channelCount + ch]!;
        if (kind === 'revenue') assertExactCents(sum, `revenue attribution total of ${channel}`);
        channelTotals.push({
          kind,
          model,
          channel,
          credit: kind === 'revenue' ? sum / 100 : sum,
          conversions: t.conversions[ch]!,
          removalEffect: model === 'markov' ? (effects.get(channel) ?? null) : null,
        });
      });
    }
  }
  const periodRows: PeriodTotalRow[] = [];
  for (const kind of KINDS)
    for (const row of periodTotals
      .get(kind)!
      .rows(channels.names, sources.names, pipelines.names, owners.names))
      periodRows.push(row);
  counts.touchesRead = store.count;
  return { counts, channelTotals, periodTotals: periodRows, timings };
}

function readInt4(r: BinaryCopyReader): number {
  const bytes = r.readBytes();
  return bytes === null ? Number.NaN : bytes.readInt32BE(0);
}

/**
 * Per-contact touch facts of one part of the contacts (`contact_id % parts = part`, as
 * `insertContactRows` splits them) into a temp table of the session (dropped at commit), for the
 * contact rows statement, so that it does not scan the touches again.
 */
export async function writeTouchFacts(
  db: Executor,
  client: CopyClient,
  facts: TouchFacts,
  split: { readonly part: number; readonly parts: number },
): Promise<number> {
  await sql`drop table if exists kpi_tmp_contact_touches`.execute(db);
  await sql`create temp table kpi_tmp_contact_touches (contact_id bigint primary key, touches int4 not null,
    first_channel text not null, last_channel text not null) on commit drop`.execute(db);
  const writer = new BinaryCopyWriter(
    openCopyIn(client, 'copy kpi_tmp_contact_touches from stdin with (format binary)'),
  );
  const { bytes } = facts.channels;
  for (let i = 0; i < facts.ids.length; i++) {
    const id = facts.ids[i]!;
    if (id % split.parts !== split.part) continue;
    writer.beginTuple(4);
    writer.writeInt8(id);
    writer.writeInt4(facts.touches[i]!);
    writer.writeBytes(bytes[facts.first[i]!]!);
    writer.writeBytes(bytes[facts.last[i]!]!);
    await writer.flushIfFull();
  }
  const rows = await writer.finish();
  await sql`analyze kpi_tmp_contact_touches`.execute(db);
  return rows;
}
