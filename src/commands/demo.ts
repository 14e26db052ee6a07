import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HELP_FLAG, parseFlags, variablesHelp } from '../flags.js';
import { AutopilotSimulator } from '../simulator/autopilot.js';
import { configFrom, serveUntilSignal } from './serve.js';
import { SIMULATOR_FLAGS, simulatorOptions } from './simulate.js';

const HELP = `Usage: wvo-exporter demo [flags]   (npm run demo)

Runs the exporter on a simulated autopilot that keeps writing the state files of a temporary
workspace (removed on exit unless --keep), so graphs move: open /metrics, /api/metrics/stream,
or point the compose stack's Prometheus at it. Stop with Ctrl-C.

Flags:
  --keep                  keep the temporary workspace on exit
  simulator flags as for \`wvo-exporter simulate\` (--tick-ms, --rotate-every, --anomaly-every, ...)
  --workspace DIR         simulate into DIR instead of a temporary directory (it is written to!)
${variablesHelp()}
`;

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...HELP_FLAG, ...SIMULATOR_FLAGS, keep: { type: 'boolean' } });
  if (flags.values.help) return (process.stdout.write(HELP), 0);
  // Only an explicit --workspace is written to: WVO_WORKSPACE_ROOT may name a real autopilot's workspace.
  const given = flags.fromFlag.has('WVO_WORKSPACE_ROOT');
  const root = given ? path.resolve(flags.env.WVO_WORKSPACE_ROOT!) : await fs.mkdtemp(path.join(os.tmpdir(), 'wvo-demo-'));
  flags.env.WVO_WORKSPACE_ROOT = root;
  const loaded = configFrom(flags, 'wvo-exporter demo');
  const options = loaded && simulatorOptions(flags.values, root);
  if (!loaded || !options) return 2;
  const removeTemp = async () => {
    if (!given && !flags.values.keep) await fs.rm(root, { recursive: true, force: true });
  };
  const sim = new AutopilotSimulator(options);
  try {
    await fs.mkdir(root, { recursive: true });
    await sim.start();
  } catch (err) {
    await removeTemp();
    throw err;
  }
  return serveUntilSignal(loaded.config, loaded.otlp, {
    listening: (exporter) =>
      process.stderr.write(
        `wvo-exporter demo: a simulated autopilot is writing ${path.join(root, 'state')}\n` +
          `  metrics ${exporter.url}/metrics   stream ${exporter.url}/api/metrics/stream   tasks ${exporter.url}/api/metrics/tasks\n`,
      ),
    afterStop: async () => {
      await sim.stop();
      await removeTemp();
    },
  });
}
