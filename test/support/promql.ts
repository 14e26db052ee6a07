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

export interface PromQLStructure {
  /** Each vector selector: its metric and its label matchers as written (`name op "value"`). */
  selectors: { metric: string; matchers: string[] }[];
  /** Each aggregation: its operator and grouping (`by`/`without` and labels; none = across everything). */
  aggregations: { op: string; modifier?: 'by' | 'without'; labels: string[] }[];
  /** Each vector-matching clause of a binary operation (`on`/`ignoring` and labels). */
  matching: { modifier: 'on' | 'ignoring'; labels: string[] }[];
}

/**
 * The selectors, aggregations and vector matching of an expression. Matchers are returned as
 * written (`$job` stays); only Grafana's interval variables are replaced, by same-length durations.
 */
export function promqlStructure(expr: string): PromQLStructure {
  const text = expr.replace(/\$__[a-z_]+/g, (m) => `${'9'.repeat(m.length - 1)}s`);
  parsePromQL(text);
  const out: PromQLStructure = { selectors: [], aggregations: [], matching: [] };
  const labelsOf = (node: { getChild(name: string): { from: number; to: number } | null } | null): string[] => {
    const grouping = node?.getChild('GroupingLabels') as unknown as { firstChild: unknown } | null;
    if (!grouping) return [];
    const names: string[] = [];
    for (let c = (grouping as { firstChild: { name: string; from: number; to: number; nextSibling: unknown } | null }).firstChild; c; c = c.nextSibling as typeof c) {
      if (c.name === 'LabelName') names.push(text.slice(c.from, c.to));
    }
    return names;
  };
  parser.parse(text).iterate({
    enter(ref) {
      const node = ref.node;
      if (ref.name === 'VectorSelector') {
        const id = node.getChild('Identifier');
        const braces = node.getChild('LabelMatchers');
        const matchers: string[] = [];
        for (let c = braces?.firstChild; c; c = c.nextSibling) if (c.name.endsWith('LabelMatcher')) matchers.push(text.slice(c.from, c.to).replace(/\s+/g, ''));
        out.selectors.push({ metric: id ? text.slice(id.from, id.to) : '', matchers });
      } else if (ref.name === 'AggregateExpr') {
        const op = node.getChild('AggregateOp');
        const modifier = node.getChild('AggregateModifier');
        const kind = modifier?.getChild('By') ? 'by' : modifier?.getChild('Without') ? 'without' : undefined;
        out.aggregations.push({ op: op ? text.slice(op.from, op.to) : '', modifier: kind, labels: labelsOf(modifier) });
      } else if (ref.name === 'MatchingModifierClause') {
        out.matching.push({ modifier: node.getChild('On') ? 'on' : 'ignoring', labels: labelsOf(node) });
      }
    },
  });
  return out;
}
