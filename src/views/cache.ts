import type { Snapshot } from '../collector/snapshot.js';
import { healthView, qualityView, resolutionView, resourcesView, tasksView, usageView, type ViewOptions } from './rest.js';

const builders = {
  tasks: (s: Snapshot) => JSON.stringify(tasksView(s)),
  quality_gates: (s: Snapshot) => JSON.stringify(qualityView(s)),
  resolution: (s: Snapshot) => JSON.stringify(resolutionView(s)),
  resources: (s: Snapshot, o: ViewOptions) => JSON.stringify(resourcesView(s, o)),
  usage: (s: Snapshot) => JSON.stringify(usageView(s)),
  health: (s: Snapshot) => JSON.stringify(healthView(s)),
} as const;

export type ViewName = keyof typeof builders;

/**
 * Renders each view once per snapshot version: every request for the same version gets the
 * same bytes, and the SSE event is assembled from the same strings.
 */
export class ViewCache {
  private version = -1;
  private strings = new Map<ViewName, string>();
  private buffers = new Map<ViewName, Buffer>();

  constructor(private readonly options: ViewOptions) {}

  text(name: ViewName, s: Snapshot): string {
    this.sync(s);
    let t = this.strings.get(name);
    if (t === undefined) {
      t = builders[name](s, this.options);
      this.strings.set(name, t);
    }
    return t;
  }

  bytes(name: ViewName, s: Snapshot): Buffer {
    this.sync(s);
    let b = this.buffers.get(name);
    if (b === undefined) {
      b = Buffer.from(this.text(name, s));
      this.buffers.set(name, b);
    }
    return b;
  }

  /** The SSE payload `{ timestamp, version, tasks, quality, resolution, resources, health }`, reusing the cached JSON. */
  streamEvent(s: Snapshot, now = new Date()): string {
    return (
      `{"timestamp":"${now.toISOString()}","version":${s.version}` +
      `,"tasks":${this.text('tasks', s)}` +
      `,"quality":${this.text('quality_gates', s)}` +
      `,"resolution":${this.text('resolution', s)}` +
      `,"resources":${this.text('resources', s)}` +
      `,"health":${this.text('health', s)}}`
    );
  }

  private sync(s: Snapshot): void {
    if (s.version === this.version) return;
    this.version = s.version;
    this.strings = new Map();
    this.buffers = new Map();
  }
}
