/**
 * The exposition as a scraper reads it: sample lines (names, escaped label values, floats) and
 * HELP text are parsed by parse-prometheus-text-format. Two things are mapped first:
 * - that library folds every labelled series of a histogram or summary into one, so those
 *   families are handed to it as untyped (each _bucket/_sum/_count line then stays a sample);
 * - OpenMetrics: the `# EOF` terminator, `# UNIT` lines, counter families named without `_total`,
 *   and exemplars, checked against the OpenMetrics rules (only on a counter's `_total` or a
 *   histogram's `_bucket`, label set at most 128 characters, value within its bucket) and taken off.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromExemplar {
  /** The sample it is written on. */
  sample: PromSample;
  labels: Record<string, string>;
  value: number;
  /** Seconds, as written; undefined when none was. */
  timestamp?: number;
}

export interface ParsedExposition {
  samples: PromSample[];
  /** OpenMetrics only. */
  exemplars: PromExemplar[];
  /** # TYPE lines: family name (as written) → type. */
  types: Map<string, string>;
  help: Map<string, string>;
}

function parseValue(raw: string | undefined): number {
  // Prometheus parses floats case-insensitively (prom-client writes "Nan", e.g. for an idle event-loop lag).
  const lower = (raw ?? '').toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(raw);
  if (raw === undefined || raw === '' || Number.isNaN(n)) throw new Error(`not a sample value: ${JSON.stringify(raw)}`);
  return n;
}

const LABELS = String.raw`\{(?:[^"}]|"(?:[^"\\]|\\.)*")*\}`;
const NUMBER = String.raw`[^\s#]+`;
/** A sample line: name, labels, value, timestamp, then an exemplar: ` # {labels} value [timestamp]`. */
const SAMPLE_LINE = new RegExp(String.raw`^([a-zA-Z_:][a-zA-Z0-9_:]*)(${LABELS})? (${NUMBER})(?: (${NUMBER}))?(?: # (${LABELS}) (${NUMBER})(?: (${NUMBER}))?)?$`);

function parseLabels(text: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  if (!text) return labels;
  const body = text.slice(1, -1);
  const pair = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  while (pair.lastIndex < body.length) {
    const m = pair.exec(body);
    if (!m) throw new Error(`malformed label set ${text}`);
    labels[m[1]!] = m[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** Checks an exemplar by the OpenMetrics rules; returns it. */
function exemplarOf(line: string, m: RegExpExecArray, families: Map<string, string>): PromExemplar {
  const [name, labels, value] = [m[1]!, parseLabels(m[2]), parseValue(m[3])];
  const family = name.replace(/_(bucket|total)$/, '');
  const type = families.get(family);
  const onBucket = name.endsWith('_bucket') && (type === 'histogram' || type === 'gaugehistogram');
  if (!onBucket && !(name.endsWith('_total') && type === 'counter')) throw new Error(`exemplar on a sample that cannot carry one: ${line}`);
  const exemplar: PromExemplar = { sample: { name, labels, value }, labels: parseLabels(m[5]), value: parseValue(m[6]) };
  if (m[7] !== undefined) exemplar.timestamp = parseValue(m[7]);
  const size = Object.entries(exemplar.labels).reduce((n, [k, v]) => n + [...k].length + [...v].length, 0);
  if (size > 128) throw new Error(`exemplar label set longer than 128 characters: ${line}`);
  if (onBucket && !(exemplar.value <= parseValue(labels.le))) throw new Error(`exemplar value above its bucket: ${line}`);
  return exemplar;
}

/** OpenMetrics → text format: drop # EOF (required last), # UNIT and exemplars; a counter family `x` becomes `x_total`. */
function fromOpenMetrics(text: string): { text: string; renamed: Map<string, string>; exemplars: PromExemplar[] } {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines.at(-1) !== '# EOF') throw new Error('OpenMetrics exposition does not end with # EOF');
  const families = new Map<string, string>();
  for (const l of lines) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(l);
    if (t) families.set(t[1]!, t[2]!);
  }
  const counters = new Set([...families].filter(([, t]) => t === 'counter').map(([n]) => n));
  const renamed = new Map<string, string>();
  const exemplars: PromExemplar[] = [];
  const out = lines.slice(0, -1).flatMap((l) => {
    if (l.includes('# EOF')) throw new Error('# EOF before the end of the exposition');
    if (l.startsWith('# UNIT ')) return [];
    const m = /^# (HELP|TYPE) (\S+)( .*)?$/.exec(l);
    if (m && counters.has(m[2]!)) {
      renamed.set(`${m[2]}_total`, m[2]!);
      return [`# ${m[1]} ${m[2]}_total${m[3] ?? ''}`];
    }
    if (l.startsWith('#')) return [l];
    const sample = SAMPLE_LINE.exec(l);
    if (!sample) throw new Error(`malformed sample line: ${l}`);
    if (sample[5] === undefined) return [l];
    exemplars.push(exemplarOf(l, sample, families));
    return [l.slice(0, l.lastIndexOf(' # '))];
  });
  return { text: `${out.join('\n')}\n`, renamed, exemplars };
}

/** Parses the Prometheus text format or OpenMetrics (exemplars included); throws on a malformed exposition. */
export function parseExposition(text: string): ParsedExposition {
  const om = text.trimEnd().endsWith('# EOF') ? fromOpenMetrics(text) : { text, renamed: new Map<string, string>(), exemplars: [] };
  const asWritten = (name: string) => om.renamed.get(name) ?? name;
  const types = new Map<string, string>();
  const untyped = om.text.replace(/^# TYPE (\S+) (\S+)$/gm, (_line, name: string, type: string) => {
    types.set(asWritten(name), type);
    return type === 'histogram' || type === 'summary' ? `# TYPE ${name} untyped` : `# TYPE ${name} ${type}`;
  });
  const samples: PromSample[] = [];
  const help = new Map<string, string>();
  for (const family of parsePrometheusTextFormat(untyped)) {
    if (family.help && types.has(asWritten(family.name))) help.set(asWritten(family.name), family.help);
    for (const m of family.metrics) samples.push({ name: family.name, labels: m.labels ?? {}, value: parseValue(m.value) });
  }
  return { samples, exemplars: om.exemplars, types, help };
}

const sameLabels = (a: Record<string, string>, b: Record<string, string>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);

/** The value of the one sample with exactly these labels; undefined when there is none. */
export function sampleValue(samples: readonly PromSample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = samples.filter((s) => s.name === name && sameLabels(s.labels, labels));
  if (found.length > 1) throw new Error(`${found.length} samples of ${name}${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function scrape(url: string, headers: Record<string, string> = {}): Promise<PromSample[]> {
  const res = await fetch(`${url}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`/metrics: HTTP ${res.status}`);
  return parseExposition(await res.text()).samples;
}
