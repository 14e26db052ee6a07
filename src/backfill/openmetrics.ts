import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import type { MetricDef } from '../metrics/catalog.js';

/** OpenMetrics name of a family: counters drop `_total`, which only their samples carry. */
export const familyName = (def: MetricDef): string => (def.type === 'counter' ? def.name.replace(/_total$/, '') : def.name);

// promtool refuses a `# UNIT` that is not the family name's suffix: declare only those that are.
const UNIT_SUFFIXES = ['seconds', 'bytes', 'ratio', 'usd'];
const unitOf = (family: string): string | undefined => UNIT_SUFFIXES.find((u) => family.endsWith(`_${u}`));

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** `name{labels} value ` — everything of a sample line but its timestamp. */
export function samplePrefix(name: string, labels: Record<string, string | number>, value: number): string {
  const parts: string[] = [];
  for (const k in labels) parts.push(`${k}="${escapeLabel(String(labels[k]))}"`);
  return `${name}${parts.length ? `{${parts.join(',')}}` : ''} ${formatValue(value)} `;
}

/** Seconds with millisecond precision, as OpenMetrics timestamps are written. */
export const timestampText = (ms: number): string => (ms % 1000 === 0 ? String(ms / 1000) : (ms / 1000).toFixed(3));

const FLUSH_CHARS = 256 * 1024;

/**
 * OpenMetrics wants all samples of a family together, while history is produced step by step
 * for every family at once: each family is spooled to its own temporary file (small buffered
 * synchronous writes, so memory stays flat), and the files are joined under their headers at
 * the end.
 */
export class FamilySpool {
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'wvo-backfill-'));
  private readonly files = new Map<string, { def: MetricDef; fd: number; buf: string[]; chars: number; samples: number }>();

  write(def: MetricDef, text: string): void {
    const family = familyName(def);
    let f = this.files.get(family);
    if (!f) {
      f = { def, fd: openSync(path.join(this.dir, `${this.files.size}.om`), 'w'), buf: [], chars: 0, samples: 0 };
      this.files.set(family, f);
    }
    f.buf.push(text);
    f.chars += text.length;
    f.samples++;
    if (f.chars >= FLUSH_CHARS) this.flush(f);
  }

  get samples(): number {
    let n = 0;
    for (const f of this.files.values()) n += f.samples;
    return n;
  }

  get families(): string[] {
    return [...this.files.keys()];
  }

  /** Writes every family (in `order`, then any other) with its headers, and `# EOF`. */
  async finish(out: Writable, order: readonly MetricDef[]): Promise<void> {
    for (const f of this.files.values()) {
      this.flush(f);
      closeSync(f.fd);
    }
    const rank = new Map(order.map((d, i) => [familyName(d), i]));
    const entries = [...this.files.entries()].sort((a, b) => (rank.get(a[0]) ?? Infinity) - (rank.get(b[0]) ?? Infinity));
    for (const [family, f] of entries) {
      const unit = unitOf(family);
      await write(out, `# HELP ${family} ${escapeHelp(f.def.help)}\n# TYPE ${family} ${f.def.type}\n${unit ? `# UNIT ${family} ${unit}\n` : ''}`);
      const index = [...this.files.keys()].indexOf(family);
      for await (const chunk of createReadStream(path.join(this.dir, `${index}.om`))) await write(out, chunk as Buffer);
    }
    await write(out, '# EOF\n');
  }

  dispose(): void {
    for (const f of this.files.values()) {
      try {
        closeSync(f.fd);
      } catch {
        // already closed by finish()
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private flush(f: { fd: number; buf: string[]; chars: number }): void {
    if (f.buf.length === 0) return;
    writeSync(f.fd, f.buf.join(''));
    f.buf = [];
    f.chars = 0;
  }
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
