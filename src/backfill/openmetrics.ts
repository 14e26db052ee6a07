import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { MetricDef } from '../metrics/catalog.js';

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

/** `k="v",…` for a label set, escaped as OpenMetrics wants. */
export function labelText(labels: Record<string, string | number>): string {
  let out = '';
  for (const k in labels) out += `${out ? ',' : ''}${k}="${escapeLabel(String(labels[k]))}"`;
  return out;
}

/**
 * `name{labels} value ` — everything of a sample line but its timestamp. `fixed` is the
 * rendered label text every sample carries first (job and instance).
 */
export function samplePrefix(name: string, labels: Record<string, string | number>, value: number, fixed = ''): string {
  const rest = labelText(labels);
  const all = fixed && rest ? `${fixed},${rest}` : fixed || rest;
  return `${name}${all ? `{${all}}` : ''} ${formatValue(value)} `;
}

/** Seconds with millisecond precision, as OpenMetrics timestamps are written. */
export const timestampText = (ms: number): string => (ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3));

const SPOOL_BYTES = 64 * 1024;
const JOIN_BYTES = 1024 * 1024;

/**
 * The spool file of one family. Sample lines are encoded straight into a fixed buffer and
 * written out synchronously when it fills: no string outlives its sample, so the garbage
 * collector has little to keep and memory stays flat.
 */
export class FamilyFile {
  private readonly buf = Buffer.allocUnsafe(SPOOL_BYTES);
  private used = 0;
  samples = 0;

  constructor(
    readonly def: MetricDef,
    readonly file: string,
    private readonly fd: number,
  ) {}

  /** Appends one sample line: its prefix and its `timestamp\n`. */
  sample(prefix: string, ts: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (this.used + 3 * (prefix.length + ts.length) > SPOOL_BYTES) {
      this.flush();
      if (3 * (prefix.length + ts.length) > SPOOL_BYTES) {
        writeSync(this.fd, prefix + ts);
        this.samples++;
        return;
      }
    }
    this.used += this.buf.write(prefix, this.used);
    this.used += this.buf.write(ts, this.used, 'latin1');
    this.samples++;
  }

  flush(): void {
    if (this.used === 0) return;
    writeSync(this.fd, this.buf, 0, this.used);
    this.used = 0;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

/**
 * OpenMetrics wants all samples of a family together, while history is produced step by step
 * for every family at once: each family is spooled to its own temporary file (buffered
 * synchronous writes, so memory stays flat), and the files are joined under their headers at
 * the end.
 */
export class FamilySpool {
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'wvo-backfill-'));
  private readonly files = new Map<string, FamilyFile>();
  private closed = false;

  /** The spool file of a metric's family (created on first use). */
  family(def: MetricDef): FamilyFile {
    const name = familyName(def);
    let f = this.files.get(name);
    if (!f) {
      const file = path.join(this.dir, `${this.files.size}.om`);
      f = new FamilyFile(def, file, openSync(file, 'w'));
      this.files.set(name, f);
    }
    return f;
  }

  get samples(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.samples;
    return n;
  }

  get families(): string[] {
    return [...this.files].filter(([, f]) => f.samples > 0).map(([name]) => name);
  }

  /**
   * Writes every family (in `order`, then any other) with its headers, and `# EOF`, to a
   * stream or (faster: no round trip per chunk) a file descriptor written synchronously.
   */
  async finish(out: Writable | number, order: readonly MetricDef[]): Promise<void> {
    this.closeAll();
    const put = (data: string | Buffer) => (typeof out === 'number' ? Promise.resolve(void writeAll(out, data)) : write(out, data));
    const rank = new Map(order.map((d, i) => [familyName(d), i]));
    const entries = [...this.files.entries()].filter(([, f]) => f.samples > 0).sort((a, b) => (rank.get(a[0]) ?? Infinity) - (rank.get(b[0]) ?? Infinity));
    const chunk = Buffer.allocUnsafe(JOIN_BYTES);
    for (const [family, f] of entries) {
      const unit = unitOf(family);
      await put(`# HELP ${family} ${escapeHelp(f.def.help)}\n# TYPE ${family} ${f.def.type}\n${unit ? `# UNIT ${family} ${unit}\n` : ''}`);
      const fd = openSync(f.file, 'r');
      try {
        for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) await put(typeof out === 'number' ? chunk.subarray(0, n) : Buffer.from(chunk.subarray(0, n)));
      } finally {
        closeSync(fd);
      }
    }
    await put('# EOF\n');
  }

  dispose(): void {
    try {
      this.closeAll();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  private closeAll(): void {
    if (this.closed) return;
    this.closed = true;
    for (const f of this.files.values()) f.close();
  }
}

/** writeSync until every byte is out (a short write is possible on some files). */
function writeAll(fd: number, data: string | Buffer): void {
  let buf = typeof data === 'string' ? Buffer.from(data) : data;
  while (buf.length > 0) buf = buf.subarray(writeSync(fd, buf));
}

function write(out: Writable, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    out.once('error', onError);
    const ok = out.write(data, () => undefined);
    const done = () => {
      out.off('error', onError);
      resolve();
    };
    if (ok) done();
    else out.once('drain', done);
  });
}
