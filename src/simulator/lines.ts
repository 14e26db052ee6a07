import path from 'node:path';
import { REPO_ROOT } from '../config.js';
import { sampleLines } from './files.js';
import { pick, type Rand } from './roadmap.js';

type Json = Record<string, any>;

export const DECISIONS_LOG = 'state/analytics/quality_gate_decisions.jsonl';
export const EXECUTIONS_LOG = 'state/telemetry/executions.jsonl';

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/**
 * New quality-gate decisions and execution summaries, each a clone of a line the workspace (or
 * the bundled sample) already holds with fresh ids, task, time and numbers: the shapes are the
 * real writers', including fields this exporter does not read yet.
 */
export class LineFactory {
  private decisionCount = 0;

  constructor(
    private readonly r: Rand,
    private readonly templates: { decisions: Json[]; executions: Json[] },
    private readonly runId = 'run-sim',
  ) {
    if (templates.decisions.length === 0 || templates.executions.length === 0) throw new Error('no decision or execution lines to take the shapes from');
  }

  /** Templates from the workspace's logs, else from the bundled sample's. */
  static async load(root: string, r: Rand, runId?: string): Promise<LineFactory> {
    const from = async (rel: string, keep: (l: Json) => boolean) => {
      const own = (await sampleLines(path.join(root, rel), 200)).filter(keep);
      return own.length ? own : (await sampleLines(path.join(REPO_ROOT, rel), 200)).filter(keep);
    };
    return new LineFactory(
      r,
      {
        decisions: await from(DECISIONS_LOG, (l) => typeof l.decision === 'string'),
        executions: await from(EXECUTIONS_LOG, (l) => l.type === 'execution_summary'),
      },
      runId,
    );
  }

  /** The mean token_cost_usd of the execution templates: what an execution costs on average (the random factor averages 1). */
  meanExecutionCostUsd(): number {
    const costs = this.templates.executions.map((t) => (typeof t.token_cost_usd === 'number' ? t.token_cost_usd : 0));
    return costs.reduce((a, b) => a + b, 0) / costs.length;
  }

  /** A decision on `taskId`: `verdict` when given (the task's story decides), else 62 % approved, 28 % rejected. */
  decision(now: number, taskId: string, verdict?: 'APPROVED' | 'REJECTED' | 'ESCALATED'): Json {
    const roll = this.r();
    const want = verdict ?? (roll < 0.62 ? 'APPROVED' : roll < 0.9 ? 'REJECTED' : 'ESCALATED');
    const same = this.templates.decisions.filter((t) => t.decision === want);
    const line = structuredClone(pick(this.r, same.length ? same : this.templates.decisions));
    line.id = `qg-${this.runId}-${++this.decisionCount}`;
    line.taskId = taskId;
    line.timestamp = typeof line.timestamp === 'number' ? now : new Date(now).toISOString();
    if ('runId' in line) line.runId = this.runId;
    return line;
  }

  execution(now: number, taskId: string): Json {
    const success = this.r() < 0.8;
    const same = this.templates.executions.filter((t) => t.success === success);
    const line = structuredClone(pick(this.r, same.length ? same : this.templates.executions));
    const f = 0.5 + this.r();
    line.task_id = taskId;
    if ('timestamp' in line || !('timestamp_ms' in line)) line.timestamp = new Date(now).toISOString();
    if ('timestamp_ms' in line) line.timestamp_ms = now;
    if ('timestamp_iso' in line) line.timestamp_iso = new Date(now).toISOString();
    for (const k of ['prompt_tokens', 'completion_tokens']) if (typeof line[k] === 'number') line[k] = Math.round(line[k] * f);
    if (typeof line.prompt_tokens === 'number' && typeof line.completion_tokens === 'number') line.total_tokens = line.prompt_tokens + line.completion_tokens;
    if (typeof line.duration_seconds === 'number') line.duration_seconds = round(line.duration_seconds * (0.5 + this.r()), 1);
    if (typeof line.token_cost_usd === 'number') line.token_cost_usd = round(line.token_cost_usd * f, 4);
    if (typeof line.quality_score === 'number') line.quality_score = round(clamp(line.quality_score + (this.r() - 0.5) * 0.2, 0, 1), 2);
    return line;
  }
}
