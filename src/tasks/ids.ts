import { createHash } from 'node:crypto';

// W3C trace context: an id of all zeros is invalid, so a digest that happens to be zero is nudged.
function digest(bytes: number, parts: readonly string[]): string {
  const hex = createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, bytes * 2);
  return /^0+$/.test(hex) ? hex.slice(0, -1) + '1' : hex;
}

/**
 * One trace per task, derived from the workspace name and the task id only, so a restarted
 * exporter, a second exporter on the same workspace and the exemplars on /metrics all agree.
 */
export const traceIdOf = (workspace: string, taskId: string): string => digest(16, ['wvo.trace', workspace, taskId]);

/** The task's root span: every other span of the task names it as parent. */
export const rootSpanIdOf = (workspace: string, taskId: string): string => digest(8, ['wvo.root', workspace, taskId]);

/**
 * A span per log line, named by where the line lives: its source, the file's identity (device and
 * inode, which a rename into the archives keeps) and the line's byte offset in that file.
 */
export const lineSpanIdOf = (source: string, fileKey: string, offset: number): string =>
  digest(8, ['wvo.line', source, fileKey, String(offset)]);
