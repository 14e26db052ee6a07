/** Cleanup registry: every helper registers what it creates; call cleanup() in afterEach. */
type Cleanup = () => Promise<void> | void;
const testCleanups: Cleanup[] = [];
const suiteCleanups: Cleanup[] = [];
let target = testCleanups;

async function drain(list: Cleanup[]): Promise<void> {
  const errors: unknown[] = [];
  while (list.length) {
    try {
      await list.pop()!();
    } catch (err) {
      errors.push(err);
    }
  }
  if (errors.length) throw errors[0];
}

/** Releases what the current test created (use in afterEach). */
export const cleanup = (): Promise<void> => drain(testCleanups);

/** Runs fn (in a beforeAll) so that what it creates lives until cleanupSuite() (in afterAll). */
export async function suiteScoped<T>(fn: () => Promise<T>): Promise<T> {
  const previous = target;
  target = suiteCleanups;
  try {
    return await fn();
  } finally {
    target = previous;
  }
}

export const cleanupSuite = (): Promise<void> => drain(suiteCleanups);

export function onCleanup(fn: Cleanup): void {
  target.push(fn);
}
