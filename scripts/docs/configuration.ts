/** docs/configuration.md from the variable table of src/config.ts. */
import { variableFlags } from '../../src/flags.js';
import { code, generatedBanner, table } from './markdown.js';

export function renderConfiguration(): string {
  const rows = variableFlags().map((v) => [code(v.variable), code(`--${v.flag}`), v.default === undefined ? 'unset' : v.variable === 'WVO_WORKSPACE_ROOT' ? 'the package directory (its sample `state/`)' : code(v.default), v.help]);
  return `${generatedBanner('src/config.ts')}
# Configuration

Every setting is an environment variable and the flag of the same name (a flag wins over its
variable). Values are validated at start: a bad one stops the exporter with a message naming the
variable or flag, and exit code 2. An empty variable counts as unset.
\`wvo-exporter --help\` prints this table too.

${table(['variable', 'flag', 'default', 'meaning'], rows)}

The OTLP metrics push and traces follow OpenTelemetry's own \`OTEL_*\` variables ([OTLP](otlp.md)); TLS, basic auth
and headers come from the web config file ([security](security.md)).
`;
}
