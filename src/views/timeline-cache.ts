/**
 * Task timelines as answered: each task's timeline is looked up (a round trip to the worker that
 * holds the logs, and a read of its lines) once per snapshot version, however many requests
 * ask meanwhile, and each page rendered once. Every line the collector reads makes a new
 * version, so an answer is never older than the snapshot it is served with. Only the current
 * version's entries are kept, at most MAX_TASKS of them.
 */
import { createHash } from 'node:crypto';
import type { Snapshot } from '../collector/snapshot.js';
import type { Outcome } from './tasks.js';
import { fullTimeline, timelinePage, type FullTimeline, type TaskLines } from './timeline.js';

const MAX_TASKS = 64;
const MAX_PAGES = 16;

/** A page as sent: its JSON bytes and their ETag. */
export interface RenderedPage {
  body: Buffer;
  etag: string;
}

interface Entry {
  full: Promise<FullTimeline | undefined>;
  pages: Map<string, Outcome<RenderedPage>>;
}

const pageKey = (page: { limit: number; cursor?: string }) => `${page.limit}\u0000${page.cursor ?? ''}`;

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url').slice(0, 22);

export class TimelineCache {
  private version = -1;
  private entries = new Map<string, Entry>();

  constructor(private readonly lookup: (taskId: string) => Promise<TaskLines>) {}

  /** The task's whole timeline as of this snapshot; undefined when nothing knows the id. */
  timeline(s: Snapshot, id: string): Promise<FullTimeline | undefined> {
    return this.entry(s, id).full;
  }

  /** One page, rendered; undefined when nothing knows the id. */
  async page(s: Snapshot, id: string, page: { limit: number; cursor?: string }): Promise<Outcome<RenderedPage> | undefined> {
    const entry = this.entry(s, id);
    const full = await entry.full;
    if (!full) return undefined;
    const key = pageKey(page);
    let out = entry.pages.get(key);
    if (!out) {
      const p = timelinePage(full, page);
      out = p.ok ? { ok: true, value: render(p.value) } : p;
      if (entry.pages.size >= MAX_PAGES) entry.pages.delete(entry.pages.keys().next().value!);
      entry.pages.set(key, out);
    }
    return out;
  }

  /** A page already rendered for this snapshot, without waiting: what the fast path serves. */
  peek(s: Snapshot, id: string, page: { limit: number; cursor?: string }): RenderedPage | undefined {
    if (s.version !== this.version) return undefined;
    const out = this.entries.get(id)?.pages.get(pageKey(page));
    return out?.ok ? out.value : undefined;
  }

  private entry(s: Snapshot, id: string): Entry {
    if (s.version !== this.version) {
      this.version = s.version;
      this.entries = new Map();
    }
    let entry = this.entries.get(id);
    if (entry) {
      // Most recently used last: the first entry is the one to drop.
      this.entries.delete(id);
      this.entries.set(id, entry);
      return entry;
    }
    const entries = this.entries;
    const full = this.lookup(id).then((lines) => fullTimeline(s, id, lines));
    entry = { full, pages: new Map() };
    // A failed lookup is not kept: the next request tries again.
    full.catch(() => {
      if (entries.get(id) === entry) entries.delete(id);
    });
    entries.set(id, entry);
    if (entries.size > MAX_TASKS) entries.delete(entries.keys().next().value!);
    return entry;
  }
}

function render(value: unknown): RenderedPage {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: digest(body) };
}
