#!/usr/bin/env node
import { UsageError, variablesHelp } from './flags.js';
import { EXPORTER_VERSION } from './version.js';

export interface Command {
  run(argv: string[]): Promise<number>;
}

/** Every subcommand: a summary for --help and its module, loaded only when it runs. Adding one is one line. */
const commands: Record<string, { summary: string; load: () => Promise<Command> }> = {
  serve: { summary: 'run the exporter (the default)', load: () => import('./commands/serve.js') },
  check: { summary: 'read a workspace once and report, per source, found/parsed and the first error', load: () => import('./commands/check.js') },
  simulate: { summary: 'play a simulated autopilot writing the state files into --workspace until stopped', load: () => import('./commands/simulate.js') },
  demo: { summary: 'the exporter on a simulated autopilot in a temporary workspace', load: () => import('./commands/demo.js') },
  backfill: { summary: 'write the workspace history as OpenMetrics for promtool tsdb create-blocks-from openmetrics', load: () => import('./commands/backfill.js') },
};

function help(): string {
  const names = Object.keys(commands);
  const w = Math.max(...names.map((n) => n.length));
  return [
    'Usage: wvo-exporter [command] [flags]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(w)}  ${commands[n]!.summary}`),
    '',
    'Flags (each mirrors an environment variable; a flag wins over its variable):',
    variablesHelp(),
    '',
    '  OTEL_EXPORTER_OTLP_* / OTEL_METRIC_EXPORT_* / OTEL_BSP_* / OTEL_{METRICS,TRACES}_EXPORTER: OTLP metrics and traces (environment only; see docs/otlp.md)',
    '  -h, --help     this help (`wvo-exporter <command> --help` for a command)',
    '  -V, --version  print the version',
    '',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--help' || first === '-h') return (process.stdout.write(help()), 0);
  if (first === '--version' || first === '-V') return (process.stdout.write(`${EXPORTER_VERSION}\n`), 0);
  const named = first !== undefined && !first.startsWith('-');
  const name = named ? first : 'serve';
  const command = commands[name];
  if (!command) {
    process.stderr.write(`wvo-exporter: unknown command ${JSON.stringify(name)} (commands: ${Object.keys(commands).join(', ')})\n`);
    return 2;
  }
  try {
    return await (await command.load()).run(named ? rest : argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`wvo-exporter: ${err.message}\nRun "wvo-exporter ${named ? `${name} ` : ''}--help" for the flags.\n`);
      return 2;
    }
    throw err;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`wvo-exporter: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);
