import { once } from 'node:events';
import type { Readable } from 'node:stream';

import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { CopyStreamQuery } from 'pg-copy-streams';

/**
 * COPY on a pg client checked out with `withRawClient` (src/platform/db): Kysely has no COPY.
 * Run inside a transaction of the session's Kysely, the copy is part of that transaction and
 * runs in order with its other queries (pg queues a client's queries).
 */
export type CopyClient = Pick<pg.ClientBase, 'query'>;

/** `COPY … FROM STDIN` on the client; end the returned stream and await `finished`. */
export function openCopyIn(client: CopyClient, statement: string): CopyStreamQuery {
  return client.query(copyFrom(statement));
}

/** `COPY … TO STDOUT` on the client: a readable of the server's bytes. */
export function openCopyOut(client: CopyClient, statement: string): Readable {
  return client.query(copyTo(statement));
}

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
/** Microseconds between 1970-01-01 and 2000-01-01, Postgres' timestamp epoch. */
const PG_EPOCH_US = 946_684_800_000_000;
const TWO_32 = 4_294_967_296;
const FLOAT8_OID = 701;
const TEXT_OID = 25;

/**
 * Reads COPY's binary format (`WITH (FORMAT binary)`) tuple by tuple. `next()` returns false at the
 * end; then fields are read in column order with the typed readers below. Chunks are joined only
 * when a tuple straddles two of them, so a large stream costs one pass over its bytes.
 */
export class BinaryCopyReader {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private tupleEnd = 0;
  private fieldsLeft = 0;
  private started = false;
  private ended = false;

  constructor(private readonly stream: Readable) {}

  /** The next chunk of the stream in paused mode; null at its end. */
  private async pull(): Promise<Buffer | null> {
    for (;;) {
      const chunk = this.stream.read() as Buffer | null;
      if (chunk !== null) return chunk;
      if (this.ended || this.stream.readableEnded) return null;
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error) => {
          this.stream.off('readable', onReadable);
          this.stream.off('end', onEnd);
          this.stream.off('error', done);
          if (err) reject(err);
          else resolve();
        };
        const onReadable = () => done();
        const onEnd = () => {
          this.ended = true;
          done();
        };
        this.stream.on('readable', onReadable);
        this.stream.on('end', onEnd);
        this.stream.on('error', done);
      });
    }
  }

  /** Makes `n` bytes available from `pos`; false when the stream ended first. */
  private async ensure(n: number): Promise<boolean> {
    while (this.buf.length - this.pos < n) {
      const chunk = await this.pull();
      if (chunk === null) return false;
      const rest = this.buf.subarray(this.pos);
      this.tupleEnd -= this.pos;
      this.buf = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
      this.pos = 0;
    }
    return true;
  }

  /**
   * Reads and drops whatever the server still sends. Call it when giving up early (an error, an
   * abort): a copy that nobody reads keeps the connection paused, and the transaction's rollback
   * would wait behind it forever.
   */
  async discard(): Promise<void> {
    if (this.ended || this.stream.readableEnded || this.stream.destroyed) return;
    await new Promise<void>((resolve) => {
      this.stream.on('data', () => undefined);
      this.stream.once('end', () => resolve());
      this.stream.once('error', () => resolve());
      this.stream.resume();
    });
  }

  /**
   * The synchronous fast path of `next()`: true / false as `next()` would answer, or null when the
   * tuple is not wholly buffered yet (then call `next()`). Saves a promise per row on big streams.
   */
  tryNext(): boolean | null {
    if (!this.started) return null;
    this.fieldsLeft = 0;
    this.pos = Math.max(this.pos, this.tupleEnd);
    const available = this.buf.length - this.pos;
    if (available < 2) return null;
    const fields = this.buf.readInt16BE(this.pos);
    if (fields === -1) return false;
    let size = 2;
    for (let f = 0; f < fields; f++) {
      if (size + 4 > available) return null;
      const length = this.buf.readInt32BE(this.pos + size);
      size += 4 + Math.max(0, length);
    }
    if (size > available) return null;
    this.tupleEnd = this.pos + size;
    this.fieldsLeft = fields;
    this.pos += 2;
    return true;
  }

  /** Advances to the next tuple (buffered whole); false after the last one. */
  async next(): Promise<boolean> {
    // Fields left unread are skipped.
    this.fieldsLeft = 0;
    this.pos = Math.max(this.pos, this.tupleEnd);
    if (!this.started) {
      if (!(await this.ensure(19))) throw new Error('binary copy: no header');
      if (!this.buf.subarray(this.pos, this.pos + 11).equals(SIGNATURE))
        throw new Error('binary copy: bad signature');
      const extension = this.buf.readInt32BE(this.pos + 15);
      this.pos += 19;
      if (!(await this.ensure(extension))) throw new Error('binary copy: truncated header');
      this.pos += extension;
      this.started = true;
    }
    if (!(await this.ensure(2))) throw new Error('binary copy: missing trailer');
    const fields = this.buf.readInt16BE(this.pos);
    if (fields === -1) return false;
    // Scan the field lengths until the whole tuple is in the buffer (offsets relative to pos:
    // ensure() may move the bytes).
    let size = 2;
    for (let f = 0; f < fields; f++) {
      if (!(await this.ensure(size + 4))) throw new Error('binary copy: truncated tuple');
      const length = this.buf.readInt32BE(this.pos + size);
      size += 4 + Math.max(0, length);
    }
    if (!(await this.ensure(size))) throw new Error('binary copy: truncated tuple');
    this.tupleEnd = this.pos + size;
    this.fieldsLeft = fields;
    this.pos += 2;
    return true;
  }

  /** Length of the next field, advancing past its length word; -1 for null. */
  private field(): number {
    if (this.fieldsLeft === 0) throw new Error('binary copy: read past the end of a tuple');
    this.fieldsLeft -= 1;
    const length = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return length;
  }

  private int64(): number {
    const value = this.buf.readInt32BE(this.pos) * TWO_32 + this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return value;
  }

  /** int8; null → NaN. Exact below 2^53 (HubSpot ids). */
  readInt8(): number {
    return this.field() === -1 ? Number.NaN : this.int64();
  }

  /** float8; null → NaN. */
  readFloat8(): number {
    if (this.field() === -1) return Number.NaN;
    const value = this.buf.readDoubleBE(this.pos);
    this.pos += 8;
    return value;
  }

  /**
   * timestamptz as epoch milliseconds, null → NaN: the microsecond count divided by 1000 in one
   * correctly rounded step, the same double as `(extract(epoch from t) * 1000)::float8`.
   */
  readTimestampMs(): number {
    if (this.field() === -1) return Number.NaN;
    return (this.int64() + PG_EPOCH_US) / 1000;
  }

  readBool(): boolean | null {
    if (this.field() === -1) return null;
    return this.buf[this.pos++] === 1;
  }

  /** text as a string; null → null. */
  readText(): string | null {
    const length = this.field();
    if (length === -1) return null;
    const value = this.buf.toString('utf8', this.pos, this.pos + length);
    this.pos += length;
    return value;
  }

  /**
   * Skips the next field and returns its length (-1 for null); its bytes stay readable as
   * `buffer[spanStart, spanStart + length)` until the next `next()`. For hot loops that copy or
   * compare the bytes where they are instead of taking a view or a string of them.
   */
  skipField(): number {
    const length = this.field();
    this.spanStart = this.pos;
    if (length > 0) this.pos += length;
    return length;
  }

  /** Where the last skipped field's bytes start in `buffer`. */
  spanStart = 0;

  /** The buffer the current tuple is in (replaced as the stream is read: use within one tuple). */
  get buffer(): Buffer {
    return this.buf;
  }

  /** text as raw UTF-8 bytes (a view valid until the next `next()`); null → null. */
  readBytes(): Buffer | null {
    const length = this.field();
    if (length === -1) return null;
    const value = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return value;
  }
}

/**
 * Writes COPY's binary format into large chunks handed to a COPY stream with back-pressure.
 * Call `beginTuple(fieldCount)`, then one writer per column, then `await flushIfFull()`.
 */
export class BinaryCopyWriter {
  private buf: Buffer;
  // Big-endian numbers go through a DataView over `buf`: Buffer's write methods check their
  // arguments on every call, and int8 went through a BigInt (most of the writer's time).
  private view: DataView;
  private pos = 0;
  private readonly chunkSize: number;

  constructor(
    private readonly stream: CopyStreamQuery,
    chunkSize = 1 << 20,
  ) {
    this.chunkSize = chunkSize;
    this.buf = Buffer.allocUnsafe(chunkSize);
    this.view = viewOf(this.buf);
    SIGNATURE.copy(this.buf, 0);
    this.buf.writeInt32BE(0, 11);
    this.buf.writeInt32BE(0, 15);
    this.pos = 19;
  }

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
    this.view = viewOf(next);
  }

  beginTuple(fields: number): void {
    this.reserve(2);
    this.view.setInt16(this.pos, fields);
    this.pos += 2;
  }

  writeNull(): void {
    this.reserve(4);
    this.view.setInt32(this.pos, -1);
    this.pos += 4;
  }

  /** int8 from a safe integer (as Buffer.writeBigInt64BE(BigInt(value)) would write it). */
  writeInt8(value: number): void {
    this.reserve(12);
    if (!Number.isSafeInteger(value)) {
      this.buf.writeInt32BE(8, this.pos);
      this.buf.writeBigInt64BE(BigInt(value), this.pos + 4);
      this.pos += 12;
      return;
    }
    const high = Math.floor(value / TWO_32);
    this.view.setInt32(this.pos, 8);
    this.view.setInt32(this.pos + 4, high);
    this.view.setUint32(this.pos + 8, value - high * TWO_32);
    this.pos += 12;
  }

  writeInt4(value: number): void {
    this.reserve(8);
    this.view.setInt32(this.pos, 4);
    this.view.setInt32(this.pos + 4, value);
    this.pos += 8;
  }

  writeFloat8(value: number): void {
    this.reserve(12);
    this.view.setInt32(this.pos, 8);
    this.view.setFloat64(this.pos + 4, value);
    this.pos += 12;
  }

  /** timestamptz from epoch ms (whole microseconds). */
  writeTimestampMs(ms: number): void {
    this.writeInt8(Math.round(ms * 1000) - PG_EPOCH_US);
  }

  writeText(value: string): void {
    const max = Buffer.byteLength(value);
    this.reserve(4 + max);
    const length = this.buf.write(value, this.pos + 4, 'utf8');
    this.buf.writeInt32BE(length, this.pos);
    this.pos += 4 + length;
  }

  /** jsonb in its binary form: format version 1, then the JSON text. */
  writeJsonb(json: string): void {
    const max = Buffer.byteLength(json);
    this.reserve(5 + max);
    this.buf[this.pos + 4] = 1;
    const length = this.buf.write(json, this.pos + 5, 'utf8');
    this.buf.writeInt32BE(length + 1, this.pos);
    this.pos += 5 + length;
  }

  writeBytes(value: Buffer): void {
    this.reserve(4 + value.length);
    this.buf.writeInt32BE(value.length, this.pos);
    value.copy(this.buf, this.pos + 4);
    this.pos += 4 + value.length;
  }

  /**
   * text[] (one dimension) of `count` items, item i being the bytes [start(i), end(i)) of `arena`
   * (raw UTF-8): no Buffer view per item.
   */
  writeTextArrayFrom(
    count: number,
    arena: Buffer,
    start: (i: number) => number,
    end: (i: number) => number,
  ): void {
    let bytes = 20;
    for (let i = 0; i < count; i++) bytes += 4 + end(i) - start(i);
    this.reserve(4 + bytes);
    const v = this.view;
    let p = this.pos;
    v.setInt32(p, bytes);
    v.setInt32(p + 4, 1);
    v.setInt32(p + 8, 0);
    v.setInt32(p + 12, TEXT_OID);
    v.setInt32(p + 16, count);
    v.setInt32(p + 20, 1);
    p += 24;
    for (let i = 0; i < count; i++) {
      const from = start(i);
      const to = end(i);
      v.setInt32(p, to - from);
      arena.copy(this.buf, p + 4, from, to);
      p += 4 + to - from;
    }
    this.pos = p;
  }

  /** text[] (one dimension) from `count` items produced by `item(i)` as raw UTF-8 bytes. */
  writeTextArray(count: number, item: (i: number) => Buffer): void {
    const header = 20 + 8;
    this.reserve(4 + header);
    const start = this.pos;
    this.pos += 4;
    this.buf.writeInt32BE(1, this.pos);
    this.buf.writeInt32BE(0, this.pos + 4);
    this.buf.writeInt32BE(TEXT_OID, this.pos + 8);
    this.buf.writeInt32BE(count, this.pos + 12);
    this.buf.writeInt32BE(1, this.pos + 16);
    this.pos += 20;
    for (let i = 0; i < count; i++) this.writeBytes(item(i));
    this.buf.writeInt32BE(this.pos - start - 4, start);
  }

  /** float8[rows][cols] (two dimensions) from `value(r, c)`. */
  writeFloat8Matrix(rows: number, cols: number, value: (r: number, c: number) => number): void {
    const bytes = 28 + rows * cols * 12;
    this.reserve(4 + bytes);
    const v = this.view;
    let p = this.pos;
    v.setInt32(p, bytes);
    v.setInt32(p + 4, 2);
    v.setInt32(p + 8, 0);
    v.setInt32(p + 12, FLOAT8_OID);
    v.setInt32(p + 16, rows);
    v.setInt32(p + 20, 1);
    v.setInt32(p + 24, cols);
    v.setInt32(p + 28, 1);
    p += 32;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        v.setInt32(p, 8);
        v.setFloat64(p + 4, value(r, c));
        p += 12;
      }
    }
    this.pos = p;
  }

  /** Hands the buffered bytes to the stream once a chunk is full, waiting when the stream asks to. */
  async flushIfFull(): Promise<void> {
    if (this.pos >= this.chunkSize) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.pos === 0) return;
    const chunk = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.chunkSize);
    this.view = viewOf(this.buf);
    this.pos = 0;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  /** Writes the trailer, ends the stream and waits until the server has taken every row. */
  async finish(): Promise<number> {
    this.reserve(2);
    this.view.setInt16(this.pos, -1);
    this.pos += 2;
    await this.flush();
    const done = once(this.stream, 'finish');
    this.stream.end();
    await done;
    return this.stream.rowCount;
  }
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}
