import { promises as fs } from 'node:fs';
import path from 'node:path';
import { HELP_FLAG, intFlag, parseOwn, UsageError } from '../flags.js';
import { AutopilotSimulator, type SimulatorOptions } from '../simulator/autopilot.js';

const HELP = `Usage: wvo-exporter simulate --workspace DIR [flags]

Plays a simulated autopilot: writes the state files into DIR/state (seeded from the bundled sample
when it has no roadmap) until SIGINT/SIGTERM, then prints what it wrote as JSON. Tasks move between
states, decisions and executions are appended, the execution log is rotated into
state/telemetry/archives/ and an anomaly is detected now and then. Each task tells one story:
it runs, the gate reviews what ran (often rejecting a first attempt, recorded as a resolution
attempt), the retry runs, and an approval makes it done in the roadmap and closes its loop.

Flags:
  --workspace DIR             workspace root (default $WVO_WORKSPACE_ROOT; required)
  --tick-ms N                 one autopilot cycle every N ms (default 1000)
  --tasks-per-tick N          tasks stepped per roadmap rewrite (default 1)
  --decisions-per-tick N      quality-gate decisions appended per tick (default 1)
  --executions-per-tick N     executions appended per tick (default 2)
  --roadmap-every N           rewrite the roadmap every N ticks (default 1)
  --rotate-every N            rotate the execution log every N ticks, 0 never (default 120)
  --anomaly-every N           detect an anomaly every N ticks, 0 never (default 45)
  --duration-ms N             stop by itself after N ms
  --seed N                    random seed (default 1)
`;

const NUMBERS = {
  'tick-ms': ['tickMs', 1],
  'tasks-per-tick': ['tasksPerTick', 0],
  'decisions-per-tick': ['decisionsPerTick', 0],
  'executions-per-tick': ['executionsPerTick', 0],
  'roadmap-every': ['roadmapEveryTicks', 1],
  'rotate-every': ['rotateEveryTicks', 0],
  'anomaly-every': ['anomalyEveryTicks', 0],
  seed: ['seed', 0],
} as const;

/** Parses the simulator's flags (shared with `demo`); throws UsageError naming a bad one. */
export function simulatorOptions(values: Record<string, unknown>, root: string): SimulatorOptions {
  const options: SimulatorOptions = { root };
  for (const [flag, [key, min]] of Object.entries(NUMBERS)) (options as unknown as Record<string, unknown>)[key] = intFlag(values, flag, min);
  return options;
}

export const SIMULATOR_FLAGS = Object.fromEntries(Object.keys(NUMBERS).map((k) => [k, { type: 'string' as const }]));

export async function run(argv: string[]): Promise<number> {
  const values = parseOwn(argv, { ...HELP_FLAG, ...SIMULATOR_FLAGS, workspace: { type: 'string' }, 'duration-ms': { type: 'string' } });
  if (values.help) return (process.stdout.write(HELP), 0);
  const workspace = (values.workspace as string | undefined) ?? process.env.WVO_WORKSPACE_ROOT;
  if (!workspace) throw new UsageError('simulate needs --workspace DIR (it writes there; the bundled sample is never written to)');
  const root = path.resolve(workspace);
  const options = simulatorOptions(values, root);
  const durationMs = intFlag(values, 'duration-ms', 1);
  await fs.mkdir(root, { recursive: true });
  const sim = new AutopilotSimulator(options);
  await sim.start();
  process.stderr.write(`wvo-exporter simulate: writing a simulated autopilot's state files into ${path.join(root, 'state')}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (durationMs) setTimeout(resolve, durationMs).unref();
  });
  const stats = await sim.stop();
  process.stdout.write(`${JSON.stringify(stats)}\n`);
  return 0;
}
