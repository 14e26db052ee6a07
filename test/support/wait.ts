/** Waiting for a condition without fixed sleeps. */
/** Retries fn (which throws or rejects while the condition does not hold) until it passes. */
export async function eventually<T>(fn: () => T | Promise<T>, { timeoutMs = 10_000, intervalMs = 20 } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
