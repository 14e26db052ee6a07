/** docs/dashboards.md from grafana/src: every dashboard's rows and panels and the question each panel answers. */
import { dashboards } from '../../grafana/src/index.js';
import type { Json } from '../../grafana/src/builder.js';
import { generatedBanner, table } from './markdown.js';

interface Panel {
  type: string;
  title: string;
  description?: string;
  panels?: Panel[];
}

function rowsOf(d: Json): { row: string; panels: Panel[] }[] {
  const rows: { row: string; panels: Panel[] }[] = [];
  for (const p of d.panels as Panel[]) {
    if (p.type === 'row') rows.push({ row: p.title, panels: [...(p.panels ?? [])] });
    else if (rows.length === 0) rows.push({ row: '', panels: [p] });
    else rows[rows.length - 1]!.panels.push(p);
  }
  return rows;
}

export function renderDashboards(list: readonly Json[] = dashboards): string {
  const index = list.map((d) => [`[${String(d.title)}](#${String(d.uid)})`, `grafana/dashboards/${String(d.uid)}.json`, String(d.description ?? '')]);
  const sections = list.map((d) => {
    const rows = rowsOf(d).map(({ row, panels }) => `#### ${row || '(top)'}\n\n${table(['panel', 'type', 'answers'], panels.map((p) => [p.title, p.type, p.description ?? '']))}`);
    return `<a id="${String(d.uid)}"></a>\n\n### ${String(d.title)}\n\n${String(d.description ?? '')}\n\n${rows.join('\n\n')}`;
  });
  return `${generatedBanner('grafana/src')}
# Dashboards

The dashboards are code (\`grafana/src\`, one module per dashboard, built with the same
selectors, units and thresholds everywhere); \`npm run dashboards\` writes the provisioned JSON
under \`grafana/dashboards/\` and a test fails when it is stale. Each dashboard has \`datasource\`,
\`job\` and \`instance\` (autopilot) variables, so it works on an existing Grafana and over a
fleet; how to import them is in [deployment](deployment.md#grafana-dashboards).

**Traces.** Every task id a panel shows (the resolution loops' table and chart) links to the
task's trace, a TraceQL search \`{ span."wvo.task.id" = "<id>" }\` in Explore on the **Traces**
variable (\`traces\`, a Tempo data source), and to its REST timeline
(\`/api/tasks/<id>/timeline\` on the **Exporter URL**). The execution duration panels ask
Prometheus for exemplars: with traces on, the exporter puts on each
\`wvo_execution_duration_seconds\` bucket the trace id of the latest task in it, drawn as dots
whose link opens that trace (the Prometheus data source's \`exemplarTraceIdDestinations\`, label
\`trace_id\`, to the data source of uid \`wvo-tempo\`). The compose stack provisions that Tempo
data source only when \`WVO_TEMPO_URL\` is set ([deployment](deployment.md#traces-in-grafana)).

${table(['dashboard', 'file', 'what it shows'], index)}

## Panels

${sections.join('\n\n')}
`;
}
