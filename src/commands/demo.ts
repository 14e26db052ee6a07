import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config.js';
import { HELP_FLAG, parseFlags, variablesHelp } from '../flags.js';
import { loadBudgets } from '../sources/budgets.js';
import { AutopilotSimulator } from '../simulator/autopilot.js';
import { configFrom, serveUntilSignal } from './serve.js';
import { SIMULATOR_FLAGS, simulatorOptions } from './simulate.js';

const HELP = `Usage: wvo-exporter demo [flags]   (npm run demo)

Runs the exporter on a simulated autopilot that keeps writing the state files of a temporary
workspace (removed on exit unless --keep), so graphs move: open /metrics, /api/metrics/stream,
or point the compose stack's Prometheus at it. Stop with Ctrl-C.

Unless WVO_BUDGETS_FILE is given, the demo writes budgets.yaml into the workspace: a daily and a
monthly budget three times what the simulation spends (quiet), and objectives it meets.

Flags:
  --keep                  keep the temporary workspace on exit
  --overspend             size the demo's budgets at a quarter of what the simulation spends, so
                          WvoSpendBudgetBurn is pending within minutes and WvoSpendBudgetExhausted
                          follows (docs/budgets.md)
  simulator flags as for \`wvo-exporter simulate\` (--tick-ms, --rotate-every, --anomaly-every, ...)
  --workspace DIR         simulate into DIR instead of a temporary directory (it is written to!)
${variablesHelp()}
`;

export async function run(argv: string[]): Promise<number> {
  const flags = parseFlags(argv, { ...HELP_FLAG, ...SIMULATOR_FLAGS, keep: { type: 'boolean' }, overspend: { type: 'boolean' } });
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
  let config = loaded.config;
  try {
    await fs.mkdir(root, { recursive: true });
    await sim.start();
    if (!config.budgets) config = { ...config, budgets: await writeDemoBudgets(root, sim.spendPerDayUsd(), Boolean(flags.values.overspend)) };
  } catch (err) {
    await sim.stop().catch(() => undefined);
    await removeTemp();
    throw err;
  }
  return serveUntilSignal(config, loaded.otel, {
    listening: (exporter) =>
      process.stderr.write(
        `wvo-exporter demo: a simulated autopilot is writing ${path.join(root, 'state')}\n` +
          `  metrics ${exporter.url}/metrics   stream ${exporter.url}/api/metrics/stream   tasks ${exporter.url}/api/metrics/tasks\n` +
          `  budgets ${config.budgets!.file}${flags.values.overspend ? ' (overspend: WvoSpendBudgetBurn pending within minutes)' : ''}\n`,
      ),
    afterStop: async () => {
      await sim.stop();
      await removeTemp();
    },
  });
}

/**
 * The demo's budgets file: day and month budgets at 3x (or, overspending, 1/4 of) the simulated
 * spend, and objectives the simulation meets (80 % of executions succeed, about 60 % of decisions pass).
 */
async function writeDemoBudgets(root: string, perDay: number, overspend: boolean): Promise<NonNullable<Config['budgets']>> {
  const day = Math.max(0.01, Math.round(perDay * (overspend ? 0.25 : 3) * 100) / 100);
  const file = path.join(root, 'budgets.yaml');
  const text = [
    `# written by wvo-exporter demo${overspend ? ' --overspend' : ''}: the simulation spends about ${perDay.toFixed(2)} USD a day`,
    'budgets:',
    `  - {period: day, usd: ${day}}`,
    `  - {period: month, usd: ${Math.round(day * 31 * 100) / 100}}`,
    'objectives:',
    '  - {name: execution_success, target: 0.7}',
    '  - {name: gate_approval, target: 0.5}',
    '',
  ].join('\n');
  await fs.writeFile(file, text);
  return { file, budgets: loadBudgets(file) };
}
