/** docs/metrics.md from the metric catalog: every metric, where it comes from, and whether backfill rebuilds it. */
import { probeSnapshot, readsOf, selectMetrics } from '../../src/backfill/selection.js';
import { catalog, type MetricDef } from '../../src/metrics/catalog.js';
import { sources } from '../../src/sources/registry.js';
import { code, generatedBanner, table } from './markdown.js';

const pathOf = new Map<string, string>(sources.map((s) => [s.id, s.path]));

function fromColumn(def: MetricDef, base: ReturnType<typeof probeSnapshot>): string {
  const reads = readsOf(def, base);
  // A status read (is the file there, does it parse) names the file too; other reads are the exporter's own figures.
  const ids = new Set([...reads.sources, ...reads.statusOf].filter((id) => pathOf.has(id)));
  const files = [...ids].map((id) => code(pathOf.get(id)!));
  return files.length > 0 ? files.join(', ') : 'the exporter itself';
}

function backfillColumn(def: MetricDef, selection: ReturnType<typeof selectMetrics>): string {
  for (const defs of selection.logs.values()) if (defs.includes(def)) return 'yes, from its lines';
  for (const defs of selection.documents.values()) if (defs.includes(def)) return 'yes, from its history';
  return 'no';
}

export function renderMetrics(defs: readonly MetricDef[] = catalog): string {
  const selection = selectMetrics(defs);
  const base = probeSnapshot();
  const rows = defs.map((d) => [code(d.name), d.type, code(d.unit), d.labels.map(code).join(', '), d.help, fromColumn(d, base), backfillColumn(d, selection)]);
  return `${generatedBanner('src/metrics/catalog.ts')}
# Metrics

Every metric is declared once, in \`src/metrics/catalog.ts\`; \`/metrics\`, the OTLP push and the
backfill render that one list. Names follow the [Prometheus naming guide](https://prometheus.io/docs/practices/naming/):
base units (seconds, bytes), ratios 0..1, \`_total\` only on counters. The unit column is the
[UCUM](https://ucum.org/) unit sent over OTLP.

Label values are bounded: free text never becomes a label; gates, categories, dimensions, models
and agent types are capped at 50 values (further ones fold into \`other\`), and per-task series
at \`WVO_MAX_TASK_SERIES\`. \`/metrics\` also carries prom-client's default \`process_*\` and
\`nodejs_*\` metrics.

**Exemplars.** With traces on (\`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT\` or
\`OTEL_EXPORTER_OTLP_ENDPOINT\` set, \`OTEL_TRACES_EXPORTER\` not \`none\`), \`/metrics\` answered in
OpenMetrics (the scraper's \`Accept\` asks for \`application/openmetrics-text\`, as Prometheus does)
carries on each \`wvo_execution_duration_seconds\` bucket an exemplar naming the latest execution
that fell in it: \`# {trace_id="<the task's trace id>",span_id="<its span id>"} <its duration>
<its timestamp>\`. The ids are those the spans carry (the trace's derived from the workspace name
and the task id, the span's from where its line is in the log), so a click on the exemplar in
Grafana opens the task's trace at that execution. "Latest" is by the execution's own
timestamp, so the live log and the rotated archives read in any order agree; an execution without
\`task_id\` or \`timestamp\` gives none. The text format never carries exemplars and is the same,
byte for byte, with traces on or off. Prometheus stores exemplars only with
\`--enable-feature=exemplar-storage\` (the compose stack's has it); \`/api/v1/query_exemplars\`
returns them.

"From" is the workspace file each metric is computed from (found by running its formula, so it
cannot drift from the code). "Backfill" says whether \`wvo-exporter backfill\` rebuilds its past
([history](history.md)).

${table(['metric', 'type', 'unit', 'labels', 'help', 'from', 'backfill'], rows)}

## Reading the values

- \`model\` is an execution line's \`codex_model\`, else its \`model\`, else \`unknown\`. The
  execution metrics' label pairs (agent type × model, × failure type, × final status) are capped
  at 50 pairs each; further pairs fold into (\`other\`, \`other\`).
- Counters from the JSON Lines logs count every line the file has held while the exporter runs
  (rotation and truncation included), and for executions every line of the archives. Counters
  copied from rewritten documents (resolution, provider capacity, orchestration) are the
  writer's totals: a writer reset shows as a counter reset. Use \`rate()\` and \`increase()\`.
- \`wvo_autopilot_remediations_total\` counts remediations since the exporter started, seeded
  from what the report holds then; each is identified by its anomaly's type and detection time
  and its action, and the last 1,000 identities are remembered.
- A value that is unknown (field missing or invalid) is absent, never exported as 0; a file that
  stops parsing keeps its last good values (\`wvo_source_up\` goes to 0).
- Free text (descriptions, rationales, messages) is only in the REST routes
  ([HTTP API](http-api.md)).
`;
}
