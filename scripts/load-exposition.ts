/**
 * Load-test helper: a strict line-by-line check of the Prometheus text (0.0.4) and OpenMetrics
 * expositions, and a tracker that flags any counter that goes down between a client's scrapes.
 */

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\.)*"';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})?[ \\t]+(\\S+)(?:[ \\t]+(-?\\d+(?:\\.\\d+)?))?$`);
// Both parsers take NaN and Inf in any case (prom-client writes `Nan`).
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?|[+-]?inf(?:inity)?|nan)$/i;
const HELP = new RegExp(`^# HELP (${NAME})(?: .*)?$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (\\S+)$`);
const UNIT = new RegExp(`^# UNIT (${NAME})(?: .*)?$`);
const TEXT_TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const OM_TYPES = new Set(['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'stateset', 'info', 'unknown']);
const SUFFIXES = ['_total', '_bucket', '_count', '_sum', '_created', '_info'];

export interface Exposition {
  /** Series key (`name{labels}` as sent) → value. */
  samples: Map<string, number>;
  /** Family name → type, from the TYPE lines. */
  types: Map<string, string>;
  /** Problems found; empty when the exposition is well formed. */
  errors: string[];
}

/** Parses and validates a whole exposition; reports at most a few errors. */
export function parseExposition(text: string, openMetrics: boolean): Exposition {
  const samples = new Map<string, number>();
  const types = new Map<string, string>();
  const errors: string[] = [];
  const err = (msg: string) => {
    if (errors.length < 5) errors.push(msg);
  };
  if (!text.endsWith('\n')) err('does not end with a newline');
  const lines = text.split('\n');
  lines.pop();
  let eof = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (eof) {
      err(`line ${i + 1}: content after # EOF`);
      break;
    }
    if (line === '') {
      if (openMetrics) err(`line ${i + 1}: blank line`);
      continue;
    }
    if (line.startsWith('#')) {
      if (line === '# EOF' && openMetrics) {
        eof = true;
        continue;
      }
      let m: RegExpMatchArray | null;
      if ((m = TYPE.exec(line))) {
        const allowed = openMetrics ? OM_TYPES : TEXT_TYPES;
        if (!allowed.has(m[2]!)) err(`line ${i + 1}: unknown type ${m[2]}`);
        if (types.has(m[1]!)) err(`line ${i + 1}: second TYPE for ${m[1]}`);
        types.set(m[1]!, m[2]!);
      } else if (!HELP.test(line) && !(openMetrics && UNIT.test(line))) {
        if (openMetrics || line.startsWith('# HELP') || line.startsWith('# TYPE')) err(`line ${i + 1}: bad comment: ${line.slice(0, 80)}`);
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) {
      err(`line ${i + 1}: not a sample: ${line.slice(0, 120)}`);
      continue;
    }
    if (!VALUE.test(m[3]!)) {
      err(`line ${i + 1}: bad value: ${line.slice(0, 120)}`);
      continue;
    }
    const name = m[1]!;
    const value = Number(/^nan$/i.test(m[3]!) ? NaN : /inf/i.test(m[3]!) ? (m[3]!.startsWith('-') ? -Infinity : Infinity) : m[3]);
    // Our own series are never NaN or infinite (a +Inf bucket bound is a label, not a value).
    if (name.startsWith('wvo_') && !Number.isFinite(value)) err(`line ${i + 1}: non-finite value: ${line.slice(0, 120)}`);
    if (!types.has(name) && !SUFFIXES.some((s) => name.endsWith(s) && types.has(name.slice(0, -s.length)))) {
      err(`line ${i + 1}: sample ${name} has no TYPE`);
    }
    const key = m[2] === undefined ? name : `${name}{${m[2]}}`;
    if (samples.has(key)) err(`line ${i + 1}: duplicate series ${key}`);
    samples.set(key, value);
  }
  if (openMetrics && !eof) err('missing # EOF');
  return { samples, types, errors };
}

function familyType(name: string, types: Map<string, string>): string | undefined {
  const t = types.get(name);
  if (t !== undefined) return t;
  for (const s of SUFFIXES) if (name.endsWith(s)) return types.get(name.slice(0, -s.length));
  return undefined;
}

/** Whether a series must never decrease: every wvo_*_total, and histogram _count/_bucket. */
export function isMonotonic(key: string, types: Map<string, string>): boolean {
  if (!key.startsWith('wvo_')) return false;
  const brace = key.indexOf('{');
  const name = brace === -1 ? key : key.slice(0, brace);
  if (name.endsWith('_total')) return true;
  return (name.endsWith('_count') || name.endsWith('_bucket')) && familyType(name, types) === 'histogram';
}

/** One scraper's memory of its counters; a series keeps its last value even when it is absent for a while. */
export class CounterTracker {
  private readonly last = new Map<string, number>();

  /** Returns the decreases found in this exposition, and how many series were compared. */
  check(e: Exposition): { checked: number; decreases: string[] } {
    let checked = 0;
    const decreases: string[] = [];
    for (const [key, value] of e.samples) {
      if (!isMonotonic(key, e.types)) continue;
      checked++;
      const before = this.last.get(key);
      if (before !== undefined && value < before) decreases.push(`${key}: ${before} → ${value}`);
      this.last.set(key, value);
    }
    return { checked, decreases };
  }
}

/** Sum of the samples of one family (e.g. every wvo_executions_total series). */
export function sumOf(e: Exposition, name: string): number {
  let sum = 0;
  for (const [key, value] of e.samples) if (key === name || key.startsWith(`${name}{`)) sum += value;
  return sum;
}

/** The value of one series given as `name{labels}` exactly as rendered, or undefined. */
export function valueOf(e: Exposition, key: string): number | undefined {
  return e.samples.get(key);
}
