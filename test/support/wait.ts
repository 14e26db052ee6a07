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

/**
 * Resolves when check() holds, tested now and on every `update` the emitter emits; rejects when
 * gaveUp() names a reason, or after timeoutMs with describe()'s state.
 */
export function untilUpdate<T>(
  emitter: import('node:events').EventEmitter,
  check: () => T | undefined | false,
  what: string,
  timeoutMs: number,
  describe: () => string,
  gaveUp: () => string | undefined = () => undefined,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const test = () => {
      const v = check();
      const reason = v ? undefined : gaveUp();
      if (v) done(() => resolve(v));
      else if (reason) done(() => reject(new Error(`${reason} while waiting for ${what}`)));
    };
    const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what} (${describe()})`))), timeoutMs);
    const done = (then: () => void) => {
      clearTimeout(timer);
      emitter.off('update', test);
      then();
    };
    emitter.on('update', test);
    test();
  });
}
