import { statSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fileKey } from '../../src/collector/files.js';
import { DURATION_BUCKETS, executions } from '../../src/sources/executions.js';
import { cleanup } from '../support/cleanup.js';
import { testCollector, testWorkspace } from '../support/collector.js';

afterEach(cleanup);

/** Writes the JSONL log and reads it the way the exporter does: through the Collector. */
async function readLog(text: string) {
  const ws = await testWorkspace();
  await ws.write(executions.path, text);
  const s = await testCollector(ws, { sources: [executions] }).refresh();
  return { value: s.data.executions, status: s.status.executions, fileKey: fileKey(statSync(path.join(ws.root, executions.path))) };
}

// Shaped like state/telemetry/executions.jsonl.
const summary = (over: Record<string, unknown>) =>
  JSON.stringify({
    timestamp: '2026-11-26T23:35:31.884Z',
    type: 'execution_summary',
    task_id: 'T-1.2.3',
    agent_id: 'claude_code-worker-4',
    agent_type: 'claude_code',
    model: 'claude-sonnet-4-5',
    success: true,
    final_status: 'completed',
    duration_seconds: 531.4,
    quality_score: 0.73,
    prompt_tokens: 29329,
    completion_tokens: 8531,
    total_tokens: 37860,
    token_cost_usd: 0.216,
    project_phase: 'testing',
    ...over,
  });

describe('executions source', () => {
  it('folds execution summaries per agent type and skips other line types without counting them bad', async () => {
    const text =
      [
        summary({}),
        summary({
          timestamp: '2026-11-26T23:03:59.921Z',
          agent_type: 'gemini_cli',
          success: false,
          final_status: 'failed',
          duration_seconds: 256.3,
          prompt_tokens: 29975,
          completion_tokens: 2586,
          token_cost_usd: 0.0633,
          error: 'provider returned 529 overloaded',
        }),
        '{"timestamp":"2026-11-27T00:50:52.833Z","type":"heartbeat","agents_busy":6,"agents_idle":2,"queue_depth":16}',
        '{"timestamp":"2026-11-27T03:22:09.849Z","type":"execution_started","task_id":"T-1.2.3","agent_type":"codex"}',
        '[1, 2]',
        '42',
        summary({ timestamp: 1795800000000, duration_seconds: 3, prompt_tokens: 100, completion_tokens: 1, token_cost_usd: 0.01 }),
      ].join('\n') + '\n';
    const { value, status } = await readLog(text);
    expect(status).toMatchObject({ present: true, up: true, badLines: 0, errors: 0 });
    expect(value.total).toBe(3);
    expect(Object.keys(value.byAgentType).sort()).toEqual(['claude_code', 'gemini_cli']);
    const claude = value.byAgentType.claude_code!;
    expect([claude.success, claude.failure, claude.promptTokens, claude.completionTokens]).toEqual([2, 0, 29429, 8532]);
    expect(claude.costUsd).toBeCloseTo(0.226, 10);
    expect(claude.duration.count).toBe(2);
    expect(claude.duration.sum).toBeCloseTo(534.4, 10);
    // 3 s falls in the le=5 bucket, 531.4 s in le=600.
    expect(claude.duration.counts[DURATION_BUCKETS.indexOf(5)]).toBe(1);
    expect(claude.duration.counts[DURATION_BUCKETS.indexOf(600)]).toBe(1);
    const gemini = value.byAgentType.gemini_cli!;
    expect([gemini.success, gemini.failure, gemini.promptTokens, gemini.completionTokens]).toEqual([0, 1, 29975, 2586]);
    expect(gemini.duration.counts[DURATION_BUCKETS.indexOf(300)]).toBe(1);
    expect(value.lastTimestamp).toBe(1795800000000);
  });

  it('counts lines that are not JSON as bad, and ignores bad numbers field by field', async () => {
    const text =
      [
        summary({ duration_seconds: '12', prompt_tokens: -5, completion_tokens: 100, token_cost_usd: 0.5 }),
        '{"type":"execution_summary","agent_type":"codex"',
        'garbage',
        summary({ agent_type: 'codex', completion_tokens: null, duration_seconds: -1 }).replace('"prompt_tokens":29329', '"prompt_tokens":1e999'),
      ].join('\n') + '\n';
    const { value, status } = await readLog(text);
    expect(status.badLines).toBe(2);
    expect(value.total).toBe(2);
    const claude = value.byAgentType.claude_code!;
    expect([claude.promptTokens, claude.completionTokens, claude.costUsd, claude.duration.count]).toEqual([0, 100, 0.5, 0]);
    const codex = value.byAgentType.codex!;
    expect([codex.promptTokens, codex.completionTokens, codex.duration.count]).toEqual([0, 0, 0]);
    expect(Number.isFinite(codex.costUsd)).toBe(true);
  });

  it('rejects counts so large that summing two of them would overflow to Infinity', async () => {
    const huge = summary({ prompt_tokens: 1e308, completion_tokens: Number.MAX_VALUE, duration_seconds: 1e308, token_cost_usd: 1e308 });
    const { value, status } = await readLog([huge, huge, summary({ prompt_tokens: Number.MAX_SAFE_INTEGER })].join('\n') + '\n');
    expect(status.badLines).toBe(0);
    expect(value.total).toBe(3);
    const claude = value.byAgentType.claude_code!;
    expect([claude.promptTokens, claude.completionTokens, claude.costUsd, claude.duration.count]).toEqual([Number.MAX_SAFE_INTEGER, 8531, 0.216, 1]);
  });

  it('labels a missing or blank agent type "unknown" and bounds long ones', async () => {
    const long = 'x'.repeat(200);
    const { value } = await readLog([summary({ agent_type: undefined }), summary({ agent_type: '   ' }), summary({ agent_type: long })].join('\n') + '\n');
    expect(value.byAgentType.unknown!.success).toBe(2);
    expect(value.byAgentType['x'.repeat(64)]!.success).toBe(1);
  });

  it('reads a log with a byte-order mark and CRLF line endings without bad lines', async () => {
    const { value, status } = await readLog('\uFEFF' + [summary({}), summary({ success: false })].join('\r\n') + '\r\n');
    expect(status.badLines).toBe(0);
    expect(value.total).toBe(2);
    expect(value.byAgentType.claude_code).toMatchObject({ success: 1, failure: 1 });
  });
});

describe('duration exemplars', () => {
  const at = (iso: string) => Date.parse(iso);
  const bucketOf = (seconds: number) => DURATION_BUCKETS.findIndex((b) => seconds <= b);

  it('keeps per duration bucket the latest execution by its timestamp, whatever the order of the lines', async () => {
    const lines = [
      summary({ task_id: 'T-early', timestamp: '2026-11-26T10:00:00.000Z', duration_seconds: 20 }),
      summary({ task_id: 'T-late', timestamp: '2026-11-26T12:00:00.000Z', duration_seconds: 25 }),
      summary({ task_id: 'T-middle', timestamp: '2026-11-26T11:00:00.000Z', duration_seconds: 29 }),
      summary({ task_id: 42, timestamp: '2026-11-26T09:00:00.000Z', duration_seconds: 400 }),
    ];
    for (const order of [lines, [...lines].reverse()]) {
      const text = order.join('\n') + '\n';
      const { value, fileKey } = await readLog(text);
      // Where the line is, which names its span: the file's device:inode and the line's byte offset.
      const place = (line: string) => ({ fileKey, offset: Buffer.byteLength(text.slice(0, text.indexOf(line))) });
      const [m] = value.byModel;
      expect(m!.durationExemplars).toHaveLength(DURATION_BUCKETS.length + 1);
      expect(m!.durationExemplars[bucketOf(25)]).toEqual({ taskId: 'T-late', value: 25, timestamp: at('2026-11-26T12:00:00.000Z'), ...place(lines[1]!) });
      expect(m!.durationExemplars[bucketOf(400)]).toEqual({ taskId: '42', value: 400, timestamp: at('2026-11-26T09:00:00.000Z'), ...place(lines[3]!) });
      expect(m!.durationExemplars.filter(Boolean)).toHaveLength(2);
    }
  });

  it('keeps, of a line logged twice (the live log and an archive), the same place whichever is read first', () => {
    const line = executions.line.parse(JSON.parse(summary({ task_id: 'T-twice', timestamp: '2026-11-26T12:00:00.000Z', duration_seconds: 25 })));
    const places: [string, number][] = [
      ['7:100', 4096],
      ['7:200', 0],
      ['7:200', 512],
    ];
    const exemplarOf = (order: [string, number][]) => {
      const acc = executions.create();
      for (const [key, offset] of order) executions.add(acc, line, key, offset);
      return executions.view(acc).byModel[0]!.durationExemplars[bucketOf(25)];
    };
    expect(exemplarOf(places)).toMatchObject({ taskId: 'T-twice', fileKey: '7:200', offset: 512 });
    expect(exemplarOf([...places].reverse())).toEqual(exemplarOf(places));
  });

  it('keeps no exemplar of a line without a task id, a timestamp or a duration', async () => {
    const { value } = await readLog(
      [summary({ task_id: undefined }), summary({ task_id: '  ' }), summary({ timestamp: undefined }), summary({ duration_seconds: undefined }), summary({ task_id: 'x'.repeat(257) })].join('\n') + '\n',
    );
    expect(value.total).toBe(5);
    expect(value.byModel[0]!.durationExemplars.every((e) => e === null)).toBe(true);
  });
});
