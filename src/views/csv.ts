import type { Snapshot } from '../collector/snapshot.js';
import { TASK_STATES } from '../sources/roadmap.js';
import { taskCounts } from './derived.js';

/** One RFC 4180 field, with spreadsheet formulas neutralised (OWASP CSV injection). */
export function csvField(value: unknown): string {
  let s = value === undefined || value === null ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}

export function tasksCsv(s: Snapshot): string {
  const counts = taskCounts(s);
  return toCsv(['state', 'count'], TASK_STATES.map((st) => [st, counts[st]]));
}

export function resolutionCsv(s: Snapshot): string {
  const iso = (ms: number | undefined) => (ms === undefined ? '' : new Date(ms).toISOString());
  return toCsv(
    ['task_id', 'attempts', 'last_label', 'elapsed_ms', 'first_attempt_at', 'last_attempt_at'],
    s.data.resolution.activeLoops.map((l) => [l.taskId, l.attempts, l.lastLabel, l.elapsedMs, iso(l.firstAttemptAt), iso(l.lastAttemptAt)]),
  );
}
