import { parser } from '@prometheus-io/lezer-promql';

/** The label matchers every dashboard query carries: the autopilots the viewer picked. */
export const TARGET_MATCHERS = 'job=~"$job", instance=~"$instance"';

/**
 * Adds `matchers` to every vector selector of a PromQL expression (the one place the dashboards'
 * target filter is applied). Parsed with Prometheus' own grammar, so selectors inside functions,
 * subqueries and binary expressions are all found; a syntax error throws, naming the expression.
 */
export function withMatchers(expr: string, matchers: string = TARGET_MATCHERS): string {
  const inserts: { at: number; text: string }[] = [];
  let error: number | undefined;
  // Grafana's interval variables are not PromQL: parse a copy where each is a duration of the same length.
  const parsable = expr.replace(/\$__[a-z_]+/g, (m) => `${'9'.repeat(m.length - 1)}s`);
  parser.parse(parsable).iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name !== 'VectorSelector') return;
      const braces = node.node.getChild('LabelMatchers');
      if (!braces) {
        inserts.push({ at: node.to, text: `{${matchers}}` });
      } else {
        const empty = parsable.slice(braces.from + 1, braces.to - 1).trim() === '';
        inserts.push({ at: braces.from + 1, text: empty ? matchers : `${matchers}, ` });
      }
    },
  });
  if (error !== undefined) throw new Error(`PromQL syntax error at offset ${error}: ${expr}`);
  let out = expr;
  for (const { at, text } of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, at) + text + out.slice(at);
  return out;
}

/**
 * `expr`, or 0 for every selected autopilot where `expr` has no series (e.g. no failure seen yet):
 * one series per instance either way, never a label-less `vector(0)`.
 */
export function orZero(expr: string): string {
  return `((${expr}) or on(instance) (0 * group by (instance) (up)))`;
}

/** `expr` (one series per instance) labelled with the autopilot's workspace name from wvo_exporter_info. */
export function withWorkspace(expr: string): string {
  return `${expr} * on(instance) group_left(workspace) max by (instance, workspace) (wvo_exporter_info)`;
}
