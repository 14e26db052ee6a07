import { describeZodError, type LogSource } from './source.js';

export type LogLine<Line> = { kind: 'line'; data: Line; raw: unknown } | { kind: 'skip' } | { kind: 'bad'; reason: string };

/** One complete log line as the collector reads it (and `check` reports it): parsed, filtered, validated. */
export function readLogLine<Line>(source: LogSource<string, Line>, text: string): LogLine<Line> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { kind: 'bad', reason: `not JSON: ${(err as Error).message}` };
  }
  if (source.relevant && !source.relevant(raw)) return { kind: 'skip' };
  const parsed = source.line.safeParse(raw);
  return parsed.success ? { kind: 'line', data: parsed.data, raw } : { kind: 'bad', reason: describeZodError(parsed.error) };
}
