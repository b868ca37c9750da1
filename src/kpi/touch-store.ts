/**
 * Touches of many conversions in parallel typed arrays (time, channel code, id bytes in one arena),
 * so that a million contacts' five million touches fit in a few hundred megabytes and are read
 * from Postgres once. A conversion owns a contiguous range, sorted by time then id.
 */
export class TouchStore {
  at = new Float64Array(1 << 16);
  channel = new Int32Array(1 << 16);
  idStart = new Uint32Array(1 << 16);
  idLength = new Uint32Array(1 << 16);
  ids = Buffer.allocUnsafe(1 << 20);
  count = 0;
  private idEnd = 0;

  push(at: number, channel: number, id: Buffer): void {
    this.pushFrom(at, channel, id, 0, id.length);
  }

  /** `push` with the id's bytes copied from `source[start, end)`. */
  pushFrom(at: number, channel: number, source: Buffer, start: number, end: number): void {
    if (this.count === this.at.length) this.grow();
    const length = end - start;
    if (this.idEnd + length > this.ids.length) {
      const next = Buffer.allocUnsafe(Math.max(this.ids.length * 2, this.idEnd + length));
      this.ids.copy(next, 0, 0, this.idEnd);
      this.ids = next;
    }
    source.copy(this.ids, this.idEnd, start, end);
    const i = this.count++;
    this.at[i] = at;
    this.channel[i] = channel;
    this.idStart[i] = this.idEnd;
    this.idLength[i] = length;
    this.idEnd += length;
  }

  private grow(): void {
    const size = this.at.length * 2;
    const at = new Float64Array(size);
    at.set(this.at);
    this.at = at;
    const channel = new Int32Array(size);
    channel.set(this.channel);
    this.channel = channel;
    const idStart = new Uint32Array(size);
    idStart.set(this.idStart);
    this.idStart = idStart;
    const idLength = new Uint32Array(size);
    idLength.set(this.idLength);
    this.idLength = idLength;
  }

  /** Appends a copy of entry i (sharing its id bytes). */
  pushCopy(i: number): void {
    if (this.count === this.at.length) this.grow();
    const j = this.count++;
    this.at[j] = this.at[i]!;
    this.channel[j] = this.channel[i]!;
    this.idStart[j] = this.idStart[i]!;
    this.idLength[j] = this.idLength[i]!;
  }

  /**
   * Groups the entries by owner (`owner[i]` in [0, owners)), keeping arrival order within an owner
   * (a counting sort: linear). Returns where each owner's range starts; owner o's range is
   * [starts[o], starts[o + 1]).
   */
  groupBy(owner: Int32Array, owners: number): Uint32Array {
    const starts = new Uint32Array(owners + 1);
    for (let i = 0; i < this.count; i++) starts[owner[i]! + 1]! += 1;
    for (let o = 0; o < owners; o++) starts[o + 1]! += starts[o]!;
    const next = starts.slice(0, owners);
    const at = new Float64Array(this.at.length);
    const channel = new Int32Array(this.at.length);
    const idStart = new Uint32Array(this.at.length);
    const idLength = new Uint32Array(this.at.length);
    for (let i = 0; i < this.count; i++) {
      const j = next[owner[i]!]!++;
      at[j] = this.at[i]!;
      channel[j] = this.channel[i]!;
      idStart[j] = this.idStart[i]!;
      idLength[j] = this.idLength[i]!;
    }
    this.at = at;
    this.channel = channel;
    this.idStart = idStart;
    this.idLength = idLength;
    return starts;
  }

  id(i: number): Buffer {
    return this.ids.subarray(this.idStart[i], this.idStart[i]! + this.idLength[i]!);
  }

  idString(i: number): string {
    return this.ids.toString('utf8', this.idStart[i], this.idStart[i]! + this.idLength[i]!);
  }

  /**
   * Time, then id. Ids compare by their UTF-8 bytes, which is code point order: the same as the
   * models' UTF-16 comparison for every id without characters beyond U+FFFF mixed with U+E000–U+FFFF.
   */
  compare(a: number, b: number): number {
    const d = this.at[a]! - this.at[b]!;
    if (d !== 0) return d;
    return this.ids.compare(
      this.ids,
      this.idStart[b],
      this.idStart[b]! + this.idLength[b]!,
      this.idStart[a],
      this.idStart[a]! + this.idLength[a]!,
    );
  }

  private swap(a: number, b: number): void {
    const at = this.at[a]!;
    this.at[a] = this.at[b]!;
    this.at[b] = at;
    const channel = this.channel[a]!;
    this.channel[a] = this.channel[b]!;
    this.channel[b] = channel;
    const start = this.idStart[a]!;
    this.idStart[a] = this.idStart[b]!;
    this.idStart[b] = start;
    const length = this.idLength[a]!;
    this.idLength[a] = this.idLength[b]!;
    this.idLength[b] = length;
  }

  /** Sorts [from, to) by time then id (insertion sort: a conversion has few touches). */
  sortRange(from: number, to: number): void {
    for (let i = from + 1; i < to; i++) {
      for (let j = i; j > from && this.compare(j - 1, j) > 0; j--) this.swap(j - 1, j);
    }
  }

  /** How many touches of the sorted range [from, to) are at or before `moment`. */
  countAtOrBefore(from: number, to: number, moment: number): number {
    let lo = from;
    let hi = to;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at[mid]! <= moment) lo = mid + 1;
      else hi = mid;
    }
    return lo - from;
  }
}

/** Channel names ↔ small integer codes, with each name's UTF-8 bytes for writing. */
export class ChannelCodes {
  readonly names: string[] = [];
  readonly bytes: Buffer[] = [];
  private readonly codes = new Map<string, number>();
  /** Codes by a cheap key of their bytes (length, first and last byte): usually one candidate. */
  private readonly byKey = new Map<number, number[]>();

  /**
   * The code of the name whose UTF-8 bytes are `source[start, end)`, without decoding them into a
   * string when the name is known (five million touches carry a dozen channel names).
   */
  codeOfBytes(source: Buffer, start: number, end: number): number {
    const length = end - start;
    const candidates = this.byKey.get(bytesKey(source, start, end));
    if (candidates !== undefined)
      for (const c of candidates) if (source.compare(this.bytes[c]!, 0, length, start, end) === 0) return c;
    return this.code(source.toString('utf8', start, end));
  }

  code(name: string): number {
    let code = this.codes.get(name);
    if (code === undefined) {
      code = this.names.length;
      this.names.push(name);
      const bytes = Buffer.from(name, 'utf8');
      this.bytes.push(bytes);
      this.codes.set(name, code);
      const key = bytesKey(bytes, 0, bytes.length);
      const candidates = this.byKey.get(key);
      if (candidates === undefined) this.byKey.set(key, [code]);
      else candidates.push(code);
    }
    return code;
  }
}

/** Length, first and last byte of `source[start, end)` as one number: the lookup key of `ChannelCodes`. */
function bytesKey(source: Buffer, start: number, end: number): number {
  return end === start ? 0 : (end - start) * 65_536 + source[start]! * 256 + source[end - 1]!;
}
