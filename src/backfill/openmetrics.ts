import { closeSync, openSync, readSync, write as writeAsync, writeSync } from 'node:fs';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { catalog, type MetricDef } from '../metrics/catalog.js';

/** OpenMetrics name of a family: counters drop `_total`, which only their samples carry. */
export const familyName = (def: MetricDef): string => (def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name);

// promtool refuses a `# UNIT` that is not the family name's suffix: declare only those that are.
const UNIT_SUFFIXES = ['seconds', 'bytes', 'ratio', 'usd'];
const unitOf = (family: string): string | undefined => UNIT_SUFFIXES.find((u) => family.endsWith(`_${u}`));

const escapeLabel = (v: string) => (/[\\\n"]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v);
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

// Most sample values are counts: written digit by digit, they need no string each. Below 1e15
// every integer's String() is its plain digits.
const isCount = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < 1e15;

/** Length of formatValue(v). */
export function valueLength(v: number): number {
  if (!isCount(v)) return formatValue(v).length;
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  return n;
}

/** `k="v",…` for a label set, escaped as OpenMetrics wants. */
export function labelText(labels: Record<string, string | number>): string {
  let out = '';
  for (const k in labels) out += `${out ? ',' : ''}${k}="${escapeLabel(String(labels[k]))}"`;
  return out;
}

/** `name{labels} ` — a sample line up to its value. `fixed` is the label text every sample carries first (job and instance). */
export function seriesText(name: string, labels: Record<string, string | number>, fixed = ''): string {
  const rest = labelText(labels);
  const all = fixed && rest ? `${fixed},${rest}` : fixed || rest;
  return `${name}${all ? `{${all}}` : ''} `;
}

/** Seconds with millisecond precision, as OpenMetrics timestamps are written. */
const timestampText = (ms: number): string => (ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3));
/** What ends every sample line at `ms`: ` timestamp\n` (ASCII). */
export const lineEnd = (ms: number): string => ` ${timestampText(ms)}\n`;

/** Float64 values per spool buffer (64 KiB). */
const SPOOL_VALUES = 8192;
const OUT_BYTES = 1024 * 1024;

/** A family's spool, as passed between threads. */
export interface SpooledFamily {
  def: string;
  file: string;
  samples: number;
  /** Exact size of its sample lines as text. */
  bytes: number;
  /** Time of its first sample. */
  firstMs: number;
  layouts: string[][];
}

/** A family's series at some point of its history, and their texts encoded once for writing. */
interface Layout {
  series: string[];
  /** UTF-8 bytes of all its series texts, and of each. */
  size: number;
  sizes: Uint32Array;
  bytes: Uint8Array[] | undefined;
}

/**
 * One family's history. Its series texts live in memory (capped labels keep them few); its
 * values go to a binary spool file, a record per step: time, layout, count, values. Text is
 * written once, at the end, so the spool holds 8 bytes per sample rather than a whole line.
 */
export class FamilyFile {
  private readonly layouts: Layout[] = [];
  private readonly layoutIds = new Map<string, number>();
  private readonly buf = new Float64Array(SPOOL_VALUES);
  private used = 0;
  samples = 0;
  /** Exact size of the sample lines as text, known before they are written (so is where each family goes). */
  bytes = 0;
  firstMs = Infinity;

  constructor(
    readonly def: MetricDef,
    readonly file: string,
    /** Where values are appended; -1 for a family spooled elsewhere (another thread). */
    private fd: number,
  ) {}

  /** What another thread needs to write this family out, once it is closed. */
  spooled(): SpooledFamily {
    return { def: this.def.name, file: this.file, samples: this.samples, bytes: this.bytes, firstMs: this.firstMs, layouts: this.layouts.map((l) => l.series) };
  }

  /** A family another thread spooled (and closed). */
  static adopt(s: SpooledFamily): FamilyFile {
    const def = catalog.find((d) => d.name === s.def);
    if (!def) throw new Error(`spooled family ${s.def} is not in the catalog`);
    const f = new FamilyFile(def, s.file, -1);
    for (const series of s.layouts) f.layout(series);
    f.samples = s.samples;
    f.bytes = s.bytes;
    f.firstMs = s.firstMs;
    return f;
  }

  /** The id of a list of series texts (the same list, the same id). */
  layout(series: string[]): number {
    const key = series.join('\n');
    let id = this.layoutIds.get(key);
    if (id === undefined) {
      id = this.layouts.length;
      const sizes = Uint32Array.from(series, (x) => Buffer.byteLength(x));
      this.layouts.push({ series, size: sizes.reduce((n, x) => n + x, 0), sizes, bytes: undefined });
      this.layoutIds.set(key, id);
    }
    return id;
  }

  /** UTF-8 bytes of a layout's series texts. */
  layoutSize(layout: number): number {
    return this.layouts[layout]!.size;
  }

  /** UTF-8 bytes of each of a layout's series texts. */
  seriesSizes(layout: number): Uint32Array {
    return this.layouts[layout]!.sizes;
  }

  /**
   * Appends some of a layout's series at time `t`, as (index, value) pairs, `bytes` long as
   * text. Spooled as a step whose count is negative: minus the number of pairs.
   */
  sparseStep(t: number, layout: number, pairs: Float64Array, bytes: number): void {
    const m = pairs.length / 2;
    this.record(t, layout, -m, pairs);
    this.samples += m;
    this.bytes += bytes;
  }

  /** Appends one step: the values of a layout's series at time `t`, `bytes` long as text. */
  step(t: number, layout: number, values: Float64Array, bytes: number): void {
    this.record(t, layout, values.length, values);
    this.samples += values.length;
    this.bytes += bytes;
  }

  private record(t: number, layout: number, count: number, data: Float64Array): void {
    if (this.samples === 0) this.firstMs = t;
    const n = data.length;
    if (this.used + 3 + n > SPOOL_VALUES) this.flush();
    if (3 + n > SPOOL_VALUES) {
      writeFloats(this.fd, Float64Array.of(t, layout, count));
      writeFloats(this.fd, data);
    } else {
      const b = this.buf;
      b[this.used] = t;
      b[this.used + 1] = layout;
      b[this.used + 2] = count;
      b.set(data, this.used + 3);
      this.used += 3 + n;
    }
  }

  flush(): void {
    if (this.used === 0) return;
    writeFloats(this.fd, this.buf.subarray(0, this.used));
    this.used = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }

  /** Writes the family's sample lines, in step order, from its spool file. */
  async render(sink: TextSink): Promise<void> {
    const reader = new FloatReader(this.file);
    try {
      while (reader.more()) {
        const ts = Buffer.from(lineEnd(reader.next()), 'latin1');
        const l = this.layouts[reader.next()]!;
        const series = (l.bytes ??= l.series.map((x) => Buffer.from(x)));
        const n = reader.next();
        if (n >= 0) for (let i = 0; i < n; i++) sink.line(series[i]!, reader.next(), ts);
        else for (let k = 0; k < -n; k++) sink.line(series[reader.next()]!, reader.next(), ts);
        if (sink.full) await sink.flush();
      }
    } finally {
      reader.close();
    }
  }
}

function writeFloats(fd: number, values: Float64Array): void {
  let bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  while (bytes.length > 0) bytes = bytes.subarray(writeSync(fd, bytes));
}

/** Reads a spool file's Float64 values one by one, a chunk at a time. */
class FloatReader {
  private readonly fd: number;
  private readonly chunk = new Float64Array(SPOOL_VALUES);
  private readonly bytes = new Uint8Array(this.chunk.buffer);
  private pos = 0;
  private count = 0;
  private carry = 0;
  private eof = false;

  constructor(file: string) {
    this.fd = openSync(file, 'r');
  }

  more(): boolean {
    if (this.pos < this.count) return true;
    this.fill();
    return this.pos < this.count;
  }

  next(): number {
    if (this.pos >= this.count && (this.fill(), this.pos >= this.count)) throw new Error('backfill spool ended mid-record');
    return this.chunk[this.pos++]!;
  }

  close(): void {
    closeSync(this.fd);
  }

  private fill(): void {
    if (this.eof) return;
    let have = this.carry;
    while (have < this.bytes.length) {
      const n = readSync(this.fd, this.bytes, have, this.bytes.length - have, null);
      if (n === 0) {
        this.eof = true;
        break;
      }
      have += n;
    }
    this.count = Math.floor(have / 8);
    this.carry = have - this.count * 8;
    this.bytes.copyWithin(0, this.count * 8, have);
    this.pos = 0;
  }
}

/** A region of a file opened for writing: written at `position` on, whatever else writes elsewhere in it. */
export interface FileRegion {
  fd: number;
  position: number;
}

// Not `'fd' in out`: process.stdout has an fd too, and is a stream all the same.
const isRegion = (out: Writable | FileRegion): out is FileRegion => !('write' in out);

/**
 * Where the text goes, a large buffer at a time. To a file the buffers alternate, one being
 * filled while the other is written (by a thread of the pool), so formatting and writing
 * overlap; a stream gets a copy of each (its reader may keep it).
 */
export class TextSink {
  private readonly bufs = [Buffer.allocUnsafe(OUT_BYTES), Buffer.allocUnsafe(OUT_BYTES)];
  /** Buffers whose write has not finished. */
  private readonly sending = new Set<Buffer>();
  private cur = 0;
  private used = 0;
  private inflight: Promise<void> = Promise.resolve();

  private position: number;

  constructor(private readonly out: Writable | FileRegion) {
    this.position = isRegion(out) ? out.position : 0;
  }

  /** Half full: time to flush() before the next step. */
  get full(): boolean {
    return this.used > OUT_BYTES / 2;
  }

  /** One sample line: its series, its value (as formatValue writes it) and its timestamp. */
  line(series: Uint8Array, value: number, ts: Uint8Array): void {
    const digits = isCount(value) ? valueLength(value) : 0;
    const text = digits ? '' : formatValue(value);
    const size = series.length + (digits || text.length) + ts.length;
    if (this.used + size > OUT_BYTES) this.spill();
    if (size > OUT_BYTES) return this.put(Buffer.concat([series, Buffer.from(formatValue(value), 'latin1'), ts]));
    const buf = this.bufs[this.cur]!;
    buf.set(series, this.used);
    this.used += series.length;
    if (digits) {
      let x = value;
      for (let at = this.used + digits - 1; at >= this.used; at--, x = Math.floor(x / 10)) buf[at] = 48 + (x % 10);
      this.used += digits;
    } else this.used += buf.write(text, this.used, 'latin1');
    buf.set(ts, this.used);
    this.used += ts.length;
  }

  put(bytes: Uint8Array): void {
    if (this.used + bytes.length > OUT_BYTES) this.spill();
    if (bytes.length > OUT_BYTES) return this.queue(Buffer.from(bytes));
    this.bufs[this.cur]!.set(bytes, this.used);
    this.used += bytes.length;
  }

  text(s: string): void {
    this.put(Buffer.from(s));
  }

  /** Waits for the write in flight, then starts writing what is buffered. */
  async flush(): Promise<void> {
    await this.inflight;
    this.spill();
  }

  async end(): Promise<void> {
    this.spill();
    await this.inflight;
  }

  private spill(): void {
    if (this.used === 0) return;
    const buf = this.bufs[this.cur]!;
    const data = buf.subarray(0, this.used);
    if (isRegion(this.out)) {
      this.sending.add(buf);
      this.queue(data, () => this.sending.delete(buf));
    } else this.queue(Buffer.from(data));
    this.cur ^= 1;
    this.used = 0;
    // Only a step larger than half the buffer gets here with the other still being written.
    if (this.sending.has(this.bufs[this.cur]!)) this.bufs[this.cur] = Buffer.allocUnsafe(OUT_BYTES);
  }

  private queue(data: Buffer, done?: () => void): void {
    const out = this.out;
    const position = this.position;
    this.position += data.length;
    const send = (): Promise<void> =>
      isRegion(out) ? writeFully(out.fd, data, position) : new Promise((resolve, reject) => out.write(data, (err) => (err ? reject(err) : resolve())));
    this.inflight = this.inflight.then(send).finally(done);
    // Failures surface where the sink is awaited, never as an unhandled rejection.
    this.inflight.catch(() => undefined);
  }
}

function writeFully(fd: number, data: Buffer, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const go = (buf: Buffer, at: number) =>
      writeAsync(fd, buf, 0, buf.length, at, (err, n) => {
        if (err) reject(err);
        else if (n < buf.length) go(buf.subarray(n), at + n);
        else resolve();
      });
    go(data, position);
  });
}

/** The lines before a family's samples. */
function familyHeader(def: MetricDef): string {
  const family = familyName(def);
  const unit = unitOf(family);
  return `# HELP ${family} ${escapeHelp(def.help)}\n# TYPE ${family} ${def.type}\n${unit ? `# UNIT ${family} ${unit}\n` : ''}`;
}

const EOF_LINE = '# EOF\n';

/**
 * Where each family goes in the output, from the exact sizes of their sample lines: families
 * in `order` (of the catalog), each its header then its samples, and `# EOF` at the end. So
 * every thread can write the families it spooled, at once, into one file.
 */
export function placeFamilies(families: readonly { def: MetricDef; bytes: number }[], order: readonly MetricDef[]): { at: Map<string, number>; eofAt: number } {
  const rank = new Map(order.map((d, i) => [d.name, i]));
  const sorted = [...families].sort((a, b) => (rank.get(a.def.name) ?? Infinity) - (rank.get(b.def.name) ?? Infinity));
  const at = new Map<string, number>();
  let position = 0;
  for (const f of sorted) {
    at.set(f.def.name, position);
    position += Buffer.byteLength(familyHeader(f.def)) + f.bytes;
  }
  return { at, eofAt: position };
}

/** Writes `# EOF` where placeFamilies put it: the output is then complete, and this long. */
export function writeEof(fd: number, eofAt: number): number {
  writeSync(fd, EOF_LINE, eofAt);
  return eofAt + EOF_LINE.length;
}

/**
 * OpenMetrics wants all samples of a family together, while history is produced step by step
 * for every family at once: each family is spooled to its own file in `dir` (the caller's, and
 * removed by it), and written out under its header at the end.
 */
export class FamilySpool {
  private readonly files = new Map<string, FamilyFile>();

  constructor(
    private readonly dir: string,
    /** Names this spool's files apart from other spools' in the same directory. */
    private readonly prefix: string,
  ) {}

  /** The spool file of a metric's family (created on first use). */
  family(def: MetricDef): FamilyFile {
    const name = familyName(def);
    let f = this.files.get(name);
    if (!f) {
      const file = path.join(this.dir, `${this.prefix}${this.files.size}.f64`);
      f = new FamilyFile(def, file, openSync(file, 'w'));
      this.files.set(name, f);
    }
    return f;
  }

  /** Closes every family's file: the families with samples, ready to be written. */
  close(): FamilyFile[] {
    for (const f of this.files.values()) f.close();
    return [...this.files.values()].filter((f) => f.samples > 0);
  }
}

/** Writes each family, header first, where `at` (from placeFamilies) puts it in the file. */
export async function writeFamiliesAt(fd: number, families: readonly FamilyFile[], at: ReadonlyMap<string, number>): Promise<void> {
  for (const f of families) {
    const position = at.get(f.def.name);
    if (position === undefined) throw new Error(`backfill: no place for ${f.def.name}`);
    const sink = new TextSink({ fd, position });
    sink.text(familyHeader(f.def));
    await f.render(sink);
    await sink.end();
  }
}

/** Writes the families (in `order`), each header first, and `# EOF` to a stream. */
export async function writeFamilies(out: Writable, families: readonly FamilyFile[], order: readonly MetricDef[]): Promise<void> {
  const { at } = placeFamilies(families, order);
  const sink = new TextSink(out);
  for (const f of [...families].sort((a, b) => at.get(a.def.name)! - at.get(b.def.name)!)) {
    sink.text(familyHeader(f.def));
    await f.render(sink);
  }
  sink.text(EOF_LINE);
  await sink.end();
}
