/** Progress of a long run on stderr: a bar redrawn in place on a terminal, a line every 10 s otherwise. */
export class Progress {
  private done = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private drawn = false;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    const tty = Boolean(out.isTTY);
    // Short runs print nothing: the first report comes after the first interval.
    this.timer = setInterval(() => this.report(), tty ? 500 : 10_000);
    this.timer.unref();
  }

  add(bytes: number): void {
    this.done += bytes;
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.drawn && this.out.isTTY) this.out.write('\n');
  }

  private report(): void {
    const secs = (Date.now() - this.started) / 1000;
    const pct = this.total > 0 ? Math.min(100, (this.done / this.total) * 100) : 100;
    const rate = this.done / 1e6 / Math.max(secs, 0.001);
    const text = `backfill: ${pct.toFixed(0)}% of ${(this.total / 1e6).toFixed(1)} MB of logs, ${rate.toFixed(1)} MB/s`;
    if (this.out.isTTY) {
      const width = 30;
      const full = Math.round((pct / 100) * width);
      this.out.write(`\r[${'#'.repeat(full)}${' '.repeat(width - full)}] ${text}`);
    } else {
      this.out.write(`${text}\n`);
    }
    this.drawn = true;
  }
}
