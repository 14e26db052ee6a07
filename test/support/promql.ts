import { parser } from '@prometheus-io/lezer-promql';

/** Grafana's built-in and dashboard variables, replaced by values PromQL accepts. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range)\b/g, '5m')
    .replace(/\$__range_s\b/g, '300')
    .replace(/\$\{?__[a-z_]+\}?/g, '1')
    .replace(/\$\{([A-Za-z0-9_]+)(:[a-z]+)?\}/g, '.*')
    .replace(/\$([A-Za-z0-9_]+)/g, '.*');
}

export interface ParsedPromQL {
  /** Metric names referenced by vector selectors. */
  metrics: string[];
}

/** Parses a PromQL expression with Prometheus' own lezer grammar; throws on a syntax error. */
export function parsePromQL(expr: string): ParsedPromQL {
  const tree = parser.parse(expr);
  const metrics = new Set<string>();
  let error: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && error === undefined) error = node.from;
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metrics.add(expr.slice(node.from, node.to));
      }
    },
  });
  if (error !== undefined) {
    throw new Error(`PromQL syntax error at offset ${error}: ${expr}`);
  }
  return { metrics: [...metrics] };
}
