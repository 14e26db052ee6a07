/** The task line index on its own: chunk boundaries, sealing, dropped files, truncation, its caps and its size. */
import { describe, expect, it } from 'vitest';
import { MAX_INDEXED_TASKS, TaskLineIndex } from '../../src/collector/line-index.js';

const live = { key: '1:10', path: 'state/telemetry/executions.jsonl' };
const archive = { key: '1:11', path: 'state/telemetry/archives/executions_x.jsonl' };

describe('TaskLineIndex', () => {
  it("finds every line of a task across chunk boundaries and files, in each file's offset order", () => {
    const index = new TaskLineIndex();
    for (let i = 0; i < 10_000; i++) index.add(`T-${i % 7}`, live, i * 100, 99);
    index.add('T-3', archive, 0, 50);
    const lines = index.linesOf('T-3');
    expect(lines).toHaveLength(1429 + 1);
    expect(lines.filter((l) => l.fileKey === live.key).map((l) => l.offset)).toEqual(Array.from({ length: 1429 }, (_, k) => (3 + 7 * k) * 100));
    expect(lines.at(-1)).toEqual({ fileKey: archive.key, path: archive.path, offset: 0, length: 50 });
    expect(index.linesOf('T-9')).toEqual([]);
  });

  it('keeps lines added to a sealed file, forgets a file gone or truncated', () => {
    const index = new TaskLineIndex();
    index.add('A', archive, 0, 10);
    index.seal(archive.key);
    index.add('A', archive, 10, 10);
    index.seal(archive.key);
    index.add('A', live, 0, 10);
    expect(index.linesOf('A').map((l) => `${l.fileKey}@${l.offset}`)).toEqual(['1:11@0', '1:11@10', '1:10@0']);
    index.retain(new Set([live.key]));
    expect(index.linesOf('A').map((l) => l.fileKey)).toEqual([live.key]);
    index.truncated(live.key);
    expect(index.linesOf('A')).toEqual([]);
    expect(index.stats()).toMatchObject({ lines: 0, files: 0 });
  });

  it('costs 12 bytes a line in its columns, and stops at its task cap (counted, partial)', () => {
    const index = new TaskLineIndex();
    for (let i = 0; i < 4096 * 10; i++) index.add(`T-${i % 100}`, archive, i * 200, 199);
    index.seal(archive.key);
    const s = index.stats();
    expect(s.arrayBytes / s.lines).toBe(12);
    expect(index.partial).toBe(false);
    for (let i = 0; i < MAX_INDEXED_TASKS; i++) index.add(`X-${i}`, live, i, 1);
    expect(index.stats()).toMatchObject({ tasks: MAX_INDEXED_TASKS, dropped: 100 });
    expect(index.partial).toBe(true);
    // Offsets past 4 GiB do not fit: not indexed, counted.
    index.add('T-1', live, 2 ** 32, 10);
    expect(index.stats().dropped).toBe(101);
  });
});
