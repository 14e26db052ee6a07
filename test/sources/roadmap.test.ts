import { describe, expect, it } from 'vitest';
import { normaliseStatus, roadmap, type RoadmapTask } from '../../src/sources/roadmap.js';

// Shaped like state/roadmap.yaml: tasks under milestones, under milestone sets, and top-level.
const yaml = `# WeatherVane autopilot roadmap — rewritten by the orchestrator every cycle.
version: 3
generated_at: "2026-11-27T14:29:41.512Z"
epics:
  - id: E-1
    title: Weather data ingestion platform
    status: in_progress
    milestones:
      - id: M-1.1
        title: Provider adapters
        tasks:
          - id: T-1.1.1
            title: NOAA GHCN daily adapter
            status: completed
            domain: ingestion
            labels: [adapter, noaa]
            dependencies: []
            estimate_hours: 6
          - id: T-1.1.2
            title: Open-Meteo hourly adapter
            status: In Progress
            domain: ingestion
            labels: [adapter]
      - id: M-1.3
        title: Streaming ingestion
        sets:
          - id: S-1.3.a
            title: Kafka consumers
            tasks:
              - id: T-1.3.1
                title: Kafka consumer for METAR feed
                status: ready
                domain: streaming
                labels: [kafka, metar]
              - id: T-1.3.2
                title: Exactly-once sink to Parquet
                status: pending
          - id: S-1.3.b
            tasks:
              - id: "=T-1.3.3"
                title: "Imported (from spreadsheet: =T-1.3.3)"
                status: blocked_on_review
  - name: Quality gates
    milestones:
      - title: Gate rollout
        tasks:
          - id: T-2.1.1
            title: Adversarial gate
            status: Done
tasks:
  - id: T-1.4.1
    epic_id: E-1
    title: Station registry CSV import
    status: done
    domain: ingestion
    labels: [import, csv]
  - id: T-9.9.9
    title: Orphan task
    status: waiting
`;

const byId = (tasks: RoadmapTask[]) => Object.fromEntries(tasks.map((t) => [t.id, t]));

describe('roadmap source', () => {
  it('collects tasks from milestones, milestone sets and the top-level list', () => {
    const v = roadmap.parse(yaml);
    expect(v.rejectedTasks).toBe(0);
    expect(v.tasks.map((t) => t.id)).toEqual(['T-1.1.1', 'T-1.1.2', 'T-1.3.1', 'T-1.3.2', '=T-1.3.3', 'T-2.1.1', 'T-1.4.1', 'T-9.9.9']);
    const t = byId(v.tasks);
    expect(t['T-1.1.1']).toEqual({
      id: 'T-1.1.1',
      title: 'NOAA GHCN daily adapter',
      status: 'done',
      domain: 'ingestion',
      epic: 'E-1',
      milestone: 'M-1.1',
      labels: ['adapter', 'noaa'],
      dependencies: [],
    });
    // Tasks in a set belong to the set's milestone.
    expect([t['T-1.3.1']!.epic, t['T-1.3.1']!.milestone]).toEqual(['E-1', 'M-1.3']);
    expect(t['=T-1.3.3']!.milestone).toBe('M-1.3');
    // An epic or milestone without id is named by its name or title.
    expect([t['T-2.1.1']!.epic, t['T-2.1.1']!.milestone]).toEqual(['Quality gates', 'Gate rollout']);
    // Top-level tasks: epic from epic_id, else none.
    expect(t['T-1.4.1']!.epic).toBe('E-1');
    expect(t['T-1.4.1']!.milestone).toBeUndefined();
    expect(t['T-9.9.9']!.epic).toBe('none');
  });

  it('normalises the statuses of the fixture', () => {
    const t = byId(roadmap.parse(yaml).tasks);
    expect(Object.fromEntries(Object.values(t).map((x) => [x.id, x.status]))).toEqual({
      'T-1.1.1': 'done',
      'T-1.1.2': 'in_progress',
      'T-1.3.1': 'ready',
      'T-1.3.2': 'pending',
      '=T-1.3.3': 'blocked',
      'T-2.1.1': 'done',
      'T-1.4.1': 'done',
      'T-9.9.9': 'pending',
    });
  });

  it.each([
    ['completed', 'done'],
    ['complete', 'done'],
    ['Completed_with_notes', 'done'],
    ['done', 'done'],
    [' DONE ', 'done'],
    ['doneish', 'pending'],
    ['incomplete', 'pending'],
    ['blocked', 'blocked'],
    ['Blocked', 'blocked'],
    ['blocked_on_review', 'blocked'],
    ['unblocked', 'blocked'],
    ['in_progress', 'in_progress'],
    ['In Progress', 'in_progress'],
    ['in-progress', 'in_progress'],
    ['progressing', 'in_progress'],
    ['ready', 'ready'],
    ['READY', 'ready'],
    ['ready_for_review', 'pending'],
    ['pending', 'pending'],
    ['todo', 'pending'],
    ['', 'pending'],
    [null, 'pending'],
    [42, 'pending'],
    [Number.NaN, 'pending'],
    [['done'], 'pending'],
  ])('normalises status %j to %s', (raw, expected) => {
    expect(normaliseStatus(raw)).toBe(expected);
  });

  it('rejects tasks whose id is .nan, .inf, empty or missing, and drops non-string labels', () => {
    const v = roadmap.parse(`tasks:
  - { id: .nan, title: a }
  - { id: .inf, title: b }
  - { id: -.inf, title: c }
  - { id: "", title: d }
  - { title: e }
  - just a string
  - ~
  - { id: 12, title: .inf, labels: [x, 1, .nan, y, ~], domain: 3, status: .nan }
`);
    expect(v.rejectedTasks).toBe(7);
    expect(v.tasks).toEqual([{ id: '12', title: '', status: 'pending', domain: undefined, epic: 'none', milestone: undefined, labels: ['x', 'y'], dependencies: [] }]);
  });

  it('keeps the siblings of a malformed epic, milestone or set', () => {
    const v = roadmap.parse(`epics:
  - ~
  - just text
  - id: E-1
    milestones:
      -
      - id: M-1
        sets:
          - 7
          - id: S-1
            tasks: [{ id: T-1, status: done }]
        tasks: [{ id: T-2, status: ready }]
  - id: E-2
    milestones: "none yet"
    tasks: [{ id: T-3 }]
`);
    expect(v.tasks.map((t) => [t.id, t.epic, t.milestone ?? null, t.status])).toEqual([
      ['T-2', 'E-1', 'M-1', 'ready'],
      ['T-1', 'E-1', 'M-1', 'done'],
      ['T-3', 'E-2', null, 'pending'],
    ]);
    expect(v.rejectedTasks).toBe(0);
  });

  it('keeps dependencies (numbers as strings, other values dropped) and the epic and milestone titles', () => {
    const v = roadmap.parse(`epics:
  - id: E-1
    title: Ingestion
    milestones:
      - id: M-1
        title: Adapters
        tasks:
          - { id: T-1, dependencies: [T-0, 7, ~, { x: 1 }, .nan, OPS-17] }
          - { id: T-2, dependencies: "T-1" }
      - id: M-2
        tasks: [{ id: T-3, dependencies: [T-1, T-2] }]
  - name: Quality gates
    milestones: [{ name: Rollout, tasks: [{ id: T-4 }] }]
`);
    expect(v.tasks.map((t) => [t.id, t.dependencies])).toEqual([
      ['T-1', ['T-0', '7', 'OPS-17']],
      ['T-2', []],
      ['T-3', ['T-1', 'T-2']],
      ['T-4', []],
    ]);
    expect(v.epicTitles).toEqual({ 'E-1': 'Ingestion', 'Quality gates': 'Quality gates' });
    expect(v.milestoneTitles).toEqual({ 'M-1': 'Adapters', Rollout: 'Rollout' });
  });

  it('reads a task without a status as pending rather than rejecting it', () => {
    const v = roadmap.parse('tasks:\n  - id: T-1\n    title: no status yet\n  - { id: T-2, status: ~ }\n');
    expect(v.rejectedTasks).toBe(0);
    expect(v.tasks.map((t) => [t.id, t.status])).toEqual([
      ['T-1', 'pending'],
      ['T-2', 'pending'],
    ]);
  });

  it('accepts a byte-order mark and CRLF line endings', () => {
    const v = roadmap.parse('\uFEFF' + yaml.replace(/\n/g, '\r\n'));
    expect(v.tasks).toHaveLength(8);
    expect(v.tasks[0]!.title).toBe('NOAA GHCN daily adapter');
  });

  it.each([
    ['empty', ''],
    ['only a comment... and whitespace', '   \n\t\n'],
    ['broken indentation', 'epics:\n  - id: E-1\n milestones: [\n'],
    ['an unterminated flow mapping', 'tasks: [{ id: T-1, status: done'],
  ])('throws an Error on %s', (_name, text) => {
    expect(() => roadmap.parse(text)).toThrow(Error);
  });

  it('refuses an alias bomb instead of expanding it', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill('*' + String.fromCharCode(96 + i)).join(', ')}]`);
    expect(() => roadmap.parse(bomb.join('\n'))).toThrow(Error);
  });
});
