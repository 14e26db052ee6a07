import { parseDocument, isMap, isSeq, visit, type Document, type YAMLMap } from 'yaml';
import { normaliseStatus, type TaskState } from '../sources/roadmap.js';

export type Rand = () => number;

/** Deterministic PRNG (mulberry32): a seed replays the same run. */
export function rng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** The raw status the orchestrator writes for each state (the roadmap source normalises them back). */
const WRITTEN: Record<TaskState, string> = { pending: 'pending', ready: 'ready', in_progress: 'in_progress', blocked: 'blocked', done: 'done' };

export interface Transition {
  id: string;
  from: TaskState;
  to: TaskState;
}

/**
 * The roadmap as the orchestrator rewrites it: the YAML document is kept (comments and every other
 * field survive) and only task statuses change, one small step of the task life cycle at a time.
 */
export class SimulatedRoadmap {
  private readonly tasks: YAMLMap[] = [];

  constructor(private readonly doc: Document) {
    visit(doc, {
      Pair: (_key, pair) => {
        const k = (pair.key as { value?: unknown } | null)?.value;
        if (k !== 'tasks' || !isSeq(pair.value)) return;
        for (const item of pair.value.items) if (isMap(item) && item.has('id')) this.tasks.push(item);
      },
    });
  }

  static parse(text: string): SimulatedRoadmap {
    return new SimulatedRoadmap(parseDocument(text, { uniqueKeys: false }));
  }

  get size(): number {
    return this.tasks.length;
  }

  state(task: YAMLMap): TaskState {
    return normaliseStatus(task.get('status'));
  }

  counts(): Record<TaskState, number> {
    const c: Record<TaskState, number> = { pending: 0, ready: 0, in_progress: 0, blocked: 0, done: 0 };
    for (const t of this.tasks) c[this.state(t)]++;
    return c;
  }

  idsIn(state: TaskState): string[] {
    return this.tasks.filter((t) => this.state(t) === state).map((t) => String(t.get('id')));
  }

  /**
   * Moves `n` random tasks one step: pending → ready → in_progress, in progress to blocked and
   * back. A task is done only by `finish` (the gate approved it), never by chance.
   */
  step(r: Rand, n: number): Transition[] {
    const moves: Transition[] = [];
    if (this.tasks.length === 0) return moves;
    const counts = this.counts();
    // A finished roadmap reopens a few tasks (a new iteration), so the demo never goes flat.
    const reopen = counts.done > this.tasks.length * 0.8;
    for (let i = 0; i < n; i++) {
      const task = pick(r, this.tasks);
      const from = this.state(task);
      const roll = r();
      let to: TaskState = from;
      if (from === 'pending') to = 'ready';
      else if (from === 'ready') to = 'in_progress';
      else if (from === 'in_progress') to = roll < 0.15 ? 'blocked' : 'in_progress';
      else if (from === 'blocked') to = roll < 0.5 ? 'ready' : 'blocked';
      else if (from === 'done' && reopen) to = 'pending';
      if (to === from) continue;
      task.set('status', WRITTEN[to]);
      moves.push({ id: String(task.get('id')), from, to });
    }
    return moves;
  }

  /** Starts a ready task (a pending one when none is ready), as the orchestrator gives an idle agent work. */
  start(r: Rand): Transition | undefined {
    const ready = this.tasks.filter((t) => this.state(t) === 'ready');
    const pool = ready.length ? ready : this.tasks.filter((t) => this.state(t) === 'pending');
    if (pool.length === 0) return undefined;
    const task = pick(r, pool);
    const from = this.state(task);
    task.set('status', WRITTEN.in_progress);
    return { id: String(task.get('id')), from, to: 'in_progress' };
  }

  /** Marks a task in progress done (its gate approved it); undefined when it is not in progress. */
  finish(id: string): Transition | undefined {
    const task = this.tasks.find((t) => String(t.get('id')) === id);
    if (!task || this.state(task) !== 'in_progress') return undefined;
    task.set('status', WRITTEN.done);
    return { id, from: 'in_progress', to: 'done' };
  }

  toString(): string {
    return this.doc.toString({ lineWidth: 0 });
  }
}
