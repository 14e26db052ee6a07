/**
 * Task timelines as answered: each task's timeline is looked up (a round trip to the worker that
 * holds the logs, and a read of its lines) once per snapshot version, however many requests
 * ask meanwhile, and each page rendered once. Every line the collector reads makes a new
 * version, so an answer awaited here is never older than the snapshot it is served with (peek
 * may give an older one meanwhile). The current version's entries are kept, at most
 * TIMELINE_CACHE_LIMITS, the least recently used going first (a timeline larger than that alone
 * is answered, not kept), and the newest page of as many tasks and queries, in half the bytes.
 */
import { createHash } from 'node:crypto';
import type { Snapshot } from '../collector/snapshot.js';
import type { Outcome } from './tasks.js';
import { fullTimeline, timelinePage, type FullTimeline, type TaskLines } from './timeline.js';

const MAX_PAGES = 16;
/** What the cache keeps at most: timelines, and bytes (their events estimated, their pages as rendered). */
export const TIMELINE_CACHE_LIMITS = { tasks: 64, bytes: 16 * 1024 * 1024 };
/** What an event of a timeline holds in memory, about (its objects, not its JSON). */
const EVENT_BYTES = 1024;

/** A page as sent: its JSON bytes and their ETag. */
export interface RenderedPage {
  body: Buffer;
  etag: string;
}

interface Entry {
  id: string;
  full: Promise<FullTimeline | undefined>;
  pages: Map<string, Outcome<RenderedPage>>;
  /** Its events and rendered pages, in bytes (estimated for the events). */
  bytes: number;
}

const pageKey = (page: { limit: number; cursor?: string }) => `${page.limit}\u0000${page.cursor ?? ''}`;

const digest = (bytes: Buffer) => createHash('sha256').update(bytes).digest('base64url').slice(0, 22);

export class TimelineCache {
  private version = -1;
  private entries = new Map<string, Entry>();
  private bytes = 0;
  /** The newest page rendered for each task and query, of whatever version: what peek serves while this version's is made. */
  private readonly newest = new Map<string, RenderedPage>();
  private newestBytes = 0;

  constructor(
    private readonly lookup: (taskId: string) => Promise<TaskLines>,
    private readonly limits = TIMELINE_CACHE_LIMITS,
  ) {}

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
      if (entry.pages.size >= MAX_PAGES) {
        const [oldest, dropped] = entry.pages.entries().next().value!;
        entry.pages.delete(oldest);
        this.weigh(entry, -(dropped.ok ? dropped.value.body.length : 0));
      }
      entry.pages.set(key, out);
      this.weigh(entry, out.ok ? out.value.body.length : 0);
      if (out.ok && this.entries.get(id) === entry) this.keepNewest(`${id}\u0000${key}`, out.value);
    }
    return out;
  }

  /**
   * A page already rendered, without waiting: what the fast path serves. This snapshot's if it
   * is made; else the newest one made before, while this one's is made (started here): under a
   * stream of new versions (every line appended makes one) requests do not all queue behind
   * each lookup, and the answer is at most one lookup old.
   */
  peek(s: Snapshot, id: string, page: { limit: number; cursor?: string }): RenderedPage | undefined {
    this.sync(s);
    const key = pageKey(page);
    const current = this.entries.get(id)?.pages.get(key);
    if (current) return current.ok ? current.value : undefined;
    const stale = this.newest.get(`${id}\u0000${key}`);
    if (stale) void this.page(s, id, page).catch(() => undefined);
    return stale;
  }

  private sync(s: Snapshot): void {
    if (s.version === this.version) return;
    this.version = s.version;
    this.entries = new Map();
    this.bytes = 0;
  }

  private keepNewest(key: string, page: RenderedPage): void {
    const old = this.newest.get(key);
    this.newest.delete(key);
    this.newestBytes += page.body.length - (old?.body.length ?? 0);
    this.newest.set(key, page);
    for (const [k, p] of this.newest) {
      if (this.newest.size <= this.limits.tasks && this.newestBytes <= this.limits.bytes / 2) break;
      this.newest.delete(k);
      this.newestBytes -= p.body.length;
    }
  }

  private entry(s: Snapshot, id: string): Entry {
    this.sync(s);
    let entry = this.entries.get(id);
    if (entry) {
      // Most recently used last: the first entry is the one to drop.
      this.entries.delete(id);
      this.entries.set(id, entry);
      return entry;
    }
    const entries = this.entries;
    const full = this.lookup(id).then((lines) => fullTimeline(s, id, lines));
    const created: Entry = { id, full, pages: new Map(), bytes: 0 };
    full.then(
      (t) => this.weigh(created, (t?.entries.length ?? 0) * EVENT_BYTES),
      // A failed lookup is not kept: the next request tries again.
      () => entries.get(id) === created && this.drop(id),
    );
    entries.set(id, created);
    if (entries.size > this.limits.tasks) this.drop(entries.keys().next().value!);
    return created;
  }

  /** Counts bytes an entry gained (or lost), then drops the least recently used entries over budget. */
  private weigh(entry: Entry, bytes: number): void {
    if (this.entries.get(entry.id) !== entry) return;
    entry.bytes += bytes;
    this.bytes += bytes;
    for (const [id, e] of this.entries) {
      if (this.bytes <= this.limits.bytes) break;
      this.drop(id);
      if (e === entry) break;
    }
  }

  private drop(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.bytes -= e.bytes;
  }
}

function render(value: unknown): RenderedPage {
  const body = Buffer.from(JSON.stringify(value));
  return { body, etag: digest(body) };
}
