/**
 * The exposition as a scraper reads it: sample lines (names, escaped label values, floats) and
 * HELP text are parsed by parse-prometheus-text-format. Two things are mapped first:
 * - that library folds every labelled series of a histogram or summary into one, so those
 *   families are handed to it as untyped (each _bucket/_sum/_count line then stays a sample);
 * - OpenMetrics: the `# EOF` terminator, `# UNIT` lines, counter families named without `_total`.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  samples: PromSample[];
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

/** OpenMetrics → text format: drop # EOF (required last) and # UNIT; a counter family `x` becomes `x_total`. */
function fromOpenMetrics(text: string): { text: string; renamed: Map<string, string> } {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines.at(-1) !== '# EOF') throw new Error('OpenMetrics exposition does not end with # EOF');
  const counters = new Set(lines.flatMap((l) => /^# TYPE (\S+) counter$/.exec(l)?.[1] ?? []));
  const renamed = new Map<string, string>();
  const out = lines.slice(0, -1).flatMap((l) => {
    if (l.includes('# EOF')) throw new Error('# EOF before the end of the exposition');
    if (l.startsWith('# UNIT ')) return [];
    const m = /^# (HELP|TYPE) (\S+)( .*)?$/.exec(l);
    if (m && counters.has(m[2]!)) {
      renamed.set(`${m[2]}_total`, m[2]!);
      return [`# ${m[1]} ${m[2]}_total${m[3] ?? ''}`];
    }
    return [l];
  });
  return { text: `${out.join('\n')}\n`, renamed };
}

/** Parses the Prometheus text format or OpenMetrics (no exemplars); throws on a malformed exposition. */
export function parseExposition(text: string): ParsedExposition {
  const om = text.trimEnd().endsWith('# EOF') ? fromOpenMetrics(text) : { text, renamed: new Map<string, string>() };
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
  return { samples, types, help };
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
