import fc from 'fast-check';
import { promises as fs } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Collector } from '../../src/collector/collector.js';
import { silentLogger } from '../../src/logger.js';
import { executions } from '../../src/sources/executions.js';
import { qualityDecisions } from '../../src/sources/quality-decisions.js';
import { sources } from '../../src/sources/registry.js';
import type { DocumentSource } from '../../src/sources/source.js';
import { makeWorkspace, type Workspace } from '../support/workspace.js';

let ws: Workspace;
beforeAll(async () => {
  ws = await makeWorkspace();
});
afterAll(async () => {
  await ws?.cleanup();
});

// One good file per document source, shaped like the sample.
const GOOD: Record<string, string> = {
  health: JSON.stringify({ running: true, lastCycle: 5, metricsHistory: [{ queueDepth: 3, doneCount: 4 }] }),
  orchestration: JSON.stringify({ totalDecisions: 4, byType: { task_assignment: 4 }, history: [{ id: 'd', quorumSatisfied: true }] }),
  resolution: JSON.stringify({ activeLoops: [{ taskId: 'T-1', attempts: 2 }], stats: { totalLoops: 1 } }),
  resources: JSON.stringify({ cpu_used_pct: 40, memory_used_pct: 50, claude_processes: 2 }),
  provider_capacity: JSON.stringify({ providers: [{ provider: 'claude', totalLimitHits: 1, currentStatus: 'healthy' }] }),
  usage: JSON.stringify({ providers: { 'claude:primary': { usage: { current_hour: { tokens: 10 } } } } }),
  metrics_summary: JSON.stringify({ operations: { latest_snapshot: { diskUsage: 50 } } }),
  roadmap: 'tasks:\n  - { id: T-1, status: done }\n',
  mcp_pid: `${process.pid}\n`,
  model_router: JSON.stringify({ totalTasks: 3, savingsPercent: 12.5, tierDistribution: { haiku: 3 } }),
};

const documents = sources.filter((s): s is Extract<(typeof sources)[number], DocumentSource> => s.kind === 'document');

const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 512 }),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => new TextEncoder().encode(s)),
  fc.jsonValue({ maxDepth: 3 }).map((v) => new TextEncoder().encode(JSON.stringify(v))),
);

describe('Collector properties', () => {
  it.each(documents.map((s) => [s.id, s] as const))(
    '%s: arbitrary bytes over a good file leave the last good value (or the new valid one) and the process alive',
    async (id, source) => {
      const c = new Collector({ workspaceRoot: ws.root, logger: silentLogger, maxLineBytes: 1 << 20, pollIntervalMs: 3_600_000, watch: false, sources: [source] });
      try {
        await fc.assert(
          fc.asyncProperty(bytes, async (garbage) => {
            await ws.writeAtomic(source.path, GOOD[id]!);
            const good = await c.refresh();
            expect(good.status[id].up).toBe(true);
            const errors = good.status[id].errors;

            await ws.writeAtomic(source.path, garbage);
            const s = await c.refresh();
            let expected: unknown;
            try {
              expected = source.parse(Buffer.from(garbage).toString('utf8'));
            } catch {
              expected = undefined;
            }
            if (expected === undefined) {
              expect(s.data[id]).toBe(good.data[id]);
              expect(s.status[id]).toMatchObject({ up: false, errors: errors + 1 });
            } else {
              expect(s.data[id]).toEqual(expected);
              expect(s.status[id]).toMatchObject({ up: true, errors });
            }
          }),
          { numRuns: 25 },
        );
      } finally {
        await c.stop();
      }
    },
  );

  const garbageLine = fc.string({ maxLength: 80 }).map((s) => '#' + s.replace(/[\r\n]/g, ' '));
  const LOGS = [
    {
      source: executions,
      valid: fc.record({ agent_type: fc.constantFrom('codex', 'claude_code'), success: fc.boolean(), prompt_tokens: fc.nat(), extra: fc.jsonValue({ maxDepth: 2 }) }).map((o) =>
        JSON.stringify({ type: 'execution_summary', ...o }),
      ),
      skipped: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ type: 'heartbeat', v })),
        fc.constantFrom('42', '"text"', 'null', '[1,2]'),
      ),
      total: (snap: Awaited<ReturnType<Collector['refresh']>>) => snap.data.executions.total,
    },
    {
      source: qualityDecisions,
      valid: fc.record({ decision: fc.constantFrom('APPROVED', 'REJECTED', 'ESCALATED', 'other'), reviews: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })) }).map((o) =>
        JSON.stringify(o),
      ),
      skipped: fc.constantFrom(' ', '\t', ''),
      total: (snap: Awaited<ReturnType<Collector['refresh']>>) => snap.data.quality_decisions.total,
    },
  ] as const;

  it.each(LOGS.map((l) => [l.source.id, l] as const))(
    '%s: arbitrary line soups, appended in arbitrary pieces and rotated, never decrease counters and count every line once',
    async (_id, log) => {
      const kind = fc.oneof(
        log.valid.map((text) => ({ text, valid: 1, bad: 0 })),
        garbageLine.map((text) => ({ text, valid: 0, bad: 1 })),
        (log.skipped as fc.Arbitrary<string>).map((text) => ({ text, valid: 0, bad: 0 })),
      );
      // Batches of whole lines; each batch is appended in byte pieces cut anywhere (even inside a
      // UTF-8 character), and the log may be rotated between batches.
      const plan = fc.array(fc.record({ lines: fc.array(kind, { maxLength: 8 }), cuts: fc.array(fc.nat(), { maxLength: 3 }), rotateAfter: fc.boolean() }), {
        minLength: 1,
        maxLength: 6,
      });
      let round = 0;
      await fc.assert(
        fc.asyncProperty(plan, async (batches) => {
          const root = `round-${round++}`;
          const c = new Collector({ workspaceRoot: ws.path(root), logger: silentLogger, maxLineBytes: 1 << 20, pollIntervalMs: 3_600_000, watch: false, sources: [log.source] });
          const file = `${root}/${log.source.path}`;
          try {
            let valid = 0;
            let bad = 0;
            let lastTotal = 0;
            let lastBad = 0;
            let rotations = 0;
            await ws.write(file, '');
            for (const batch of batches) {
              const data = Buffer.from(batch.lines.map((l) => l.text + '\n').join(''));
              const cuts = [...new Set(batch.cuts.map((n) => n % (data.length + 1)))].sort((a, b) => a - b);
              let from = 0;
              for (const cut of [...cuts, data.length]) {
                await ws.append(file, data.subarray(from, cut));
                from = cut;
                const snap = await c.refresh();
                const total = log.total(snap);
                expect(total).toBeGreaterThanOrEqual(lastTotal);
                expect(snap.status[log.source.id].badLines).toBeGreaterThanOrEqual(lastBad);
                lastTotal = total;
                lastBad = snap.status[log.source.id].badLines;
              }
              for (const l of batch.lines) {
                valid += l.valid;
                bad += l.bad;
              }
              if (batch.rotateAfter) {
                await fs.rename(ws.path(file), ws.path(`${file}.${rotations++}`));
                await ws.write(file, '');
              }
            }
            const snap = await c.refresh();
            expect(log.total(snap)).toBe(valid);
            expect(snap.status[log.source.id].badLines).toBe(bad);
          } finally {
            await c.stop();
            await ws.remove(root);
          }
        }),
        { numRuns: 25 },
      );
    },
  );
});
