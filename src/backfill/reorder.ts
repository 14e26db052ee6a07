/**
 * A bounded reorder window over timed items: items come out in timestamp order once they are
 * more than `windowMs` older than the newest item seen, or when more than `maxItems` are held.
 * Logs written by several processes are nearly sorted; this sorts the near part exactly while
 * holding at most `maxItems`, whatever the log's size. An item arriving after newer ones were
 * released is passed on as late (the caller counts it at the current position).
 */
export class ReorderWindow<T> {
  private readonly heap: { ts: number; seq: number; item: T }[] = [];
  private seq = 0;
  private newest = -Infinity;

  constructor(
    private readonly windowMs: number,
    private readonly maxItems: number,
  ) {}

  get size(): number {
    return this.heap.length;
  }

  push(ts: number, item: T, release: (ts: number, item: T) => void): void {
    this.insert({ ts, seq: this.seq++, item });
    if (ts > this.newest) this.newest = ts;
    while (this.heap.length > 0 && (this.heap.length > this.maxItems || this.newest - this.heap[0]!.ts > this.windowMs)) {
      const top = this.pop();
      release(top.ts, top.item);
    }
  }

  drain(release: (ts: number, item: T) => void): void {
    while (this.heap.length > 0) {
      const top = this.pop();
      release(top.ts, top.item);
    }
  }

  private less(a: { ts: number; seq: number }, b: { ts: number; seq: number }): boolean {
    return a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);
  }

  private insert(e: { ts: number; seq: number; item: T }): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  private pop(): { ts: number; seq: number; item: T } {
    const h = this.heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
