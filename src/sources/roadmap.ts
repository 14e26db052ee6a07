import { z } from 'zod';
import { id, listOf, str, stringList } from './fields.js';
import { parseYaml, validate } from './parse.js';
import { documentSource } from './source.js';

export const TASK_STATES = ['pending', 'ready', 'in_progress', 'blocked', 'done'] as const;
export type TaskState = (typeof TASK_STATES)[number];

// SPEC §2: complete* or done → done, *block* → blocked, *progress* → in_progress, ready → ready, else pending.
export function normaliseStatus(raw: unknown): TaskState {
  const s = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
  if (s.startsWith('complete') || s === 'done') return 'done';
  if (s.includes('block')) return 'blocked';
  if (s.includes('progress')) return 'in_progress';
  if (s === 'ready') return 'ready';
  return 'pending';
}

const rawTask = z.object({
  id: id,
  title: str,
  status: z.unknown().optional(), // zod 4: a bare z.unknown() key is required
  domain: str,
  labels: stringList,
  epic_id: id,
  dependencies: z
    .array(z.unknown())
    .optional()
    .catch(undefined)
    .transform((a) => (a ?? []).filter((x) => typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x))).map(String)),
});

const list = z.array(z.unknown()).optional().catch(undefined);
const named = { id, title: str, name: str };

// listOf: one malformed epic, milestone or set (e.g. a stray `-`) must not drop its siblings.
const schema = z.object({
  epics: listOf(
    z.object({
      ...named,
      milestones: listOf(z.object({ ...named, tasks: list, sets: listOf(z.object({ ...named, tasks: list })) })),
      tasks: list,
    }),
  ),
  tasks: list,
});

export interface RoadmapTask {
  id: string;
  title: string;
  status: TaskState;
  domain?: string;
  epic: string;
  milestone?: string;
  labels: string[];
  /** Ids of the tasks this one depends on, as written (they may name tasks not in the roadmap). */
  dependencies: string[];
}

export interface Roadmap {
  tasks: RoadmapTask[];
  /** Tasks that were present but unreadable (no id, wrong types). */
  rejectedTasks: number;
  /** Epic id → title, for epics that have one. */
  epicTitles?: Record<string, string>;
  /** Milestone id → title, for milestones that have one. */
  milestoneTitles?: Record<string, string>;
}

export const roadmap = documentSource({
  id: 'roadmap',
  path: 'state/roadmap.yaml',
  empty: { tasks: [], rejectedTasks: 0 } as Roadmap,
  parse(text): Roadmap {
    const doc = validate(schema, parseYaml(text));
    const tasks: RoadmapTask[] = [];
    let rejectedTasks = 0;
    const take = (items: unknown[] | undefined, epic: string | undefined, milestone: string | undefined) => {
      for (const raw of items ?? []) {
        const r = rawTask.safeParse(raw);
        if (!r.success || !r.data.id) {
          rejectedTasks++;
          continue;
        }
        const t = r.data;
        tasks.push({
          id: t.id!,
          title: t.title ?? '',
          status: normaliseStatus(t.status),
          domain: t.domain,
          epic: epic ?? t.epic_id ?? 'none',
          milestone,
          labels: t.labels ?? [],
          dependencies: t.dependencies,
        });
      }
    };
    const epicTitles: Record<string, string> = {};
    const milestoneTitles: Record<string, string> = {};
    const titled = (titles: Record<string, string>, key: string | undefined, title: string | undefined) => {
      // The first title wins, as for a task id written twice; `__proto__` would not become a key.
      if (key !== undefined && key !== '__proto__' && title && !Object.hasOwn(titles, key)) titles[key] = title;
    };
    for (const epic of doc.epics ?? []) {
      const epicId = epic.id ?? epic.name ?? epic.title ?? 'none';
      titled(epicTitles, epicId, epic.title ?? epic.name);
      take(epic.tasks, epicId, undefined);
      for (const ms of epic.milestones ?? []) {
        const msId = ms.id ?? ms.name ?? ms.title;
        titled(milestoneTitles, msId, ms.title ?? ms.name);
        take(ms.tasks, epicId, msId);
        for (const set of ms.sets ?? []) take(set.tasks, epicId, msId);
      }
    }
    take(doc.tasks, undefined, undefined);
    return { tasks, rejectedTasks, epicTitles, milestoneTitles };
  },
});
