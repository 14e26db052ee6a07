/** The dashboards' builder: the target matchers reach every selector, and the layout and variables it computes. */
import { describe, expect, it } from 'vitest';
import { dashboard, deepMerge } from '../../grafana/src/builder.js';
import { orZero, withMatchers } from '../../grafana/src/promql.js';

const M = 'job=~"$job", instance=~"$instance"';

describe('withMatchers', () => {
  it.each([
    ['wvo_tasks', `wvo_tasks{${M}}`],
    ['wvo_tasks{}', `wvo_tasks{${M}}`],
    ['wvo_tasks{state="done"}', `wvo_tasks{${M}, state="done"}`],
    ['sum by (instance) (rate(a_total{x=~"$x"}[$__rate_interval])) / on(instance) b', `sum by (instance) (rate(a_total{${M}, x=~"$x"}[$__rate_interval])) / on(instance) b{${M}}`],
    ['max_over_time(a[1h:5m]) offset 1h', `max_over_time(a{${M}}[1h:5m]) offset 1h`],
    ['label_replace(vector(0), "x", "{a}", "", "")', 'label_replace(vector(0), "x", "{a}", "", "")'],
  ])('%s', (expr, expected) => {
    expect(withMatchers(expr)).toBe(expected);
  });

  it('throws on a syntax error, naming the expression', () => {
    expect(() => withMatchers('sum(rate(x[5m])')).toThrow(/sum\(rate\(x\[5m\]\)/);
  });

  it('orZero gives every selected instance a value and binds tighter than what follows', () => {
    expect(withMatchers(`${orZero('sum by (instance) (a)')} / b`)).toBe(
      `((sum by (instance) (a{${M}})) or on(instance) (0 * group by (instance) (up{${M}}))) / b{${M}}`,
    );
  });
});

describe('dashboard()', () => {
  const d = dashboard({
    uid: 'wvo-x',
    title: 'X',
    description: 'x',
    tags: ['wvo'],
    variables: [{ name: 'gate', labelValues: { metric: 'g_total', label: 'gate' } }],
    rows: [
      {
        row: 'R',
        panels: [
          { type: 'stat', title: 'a', description: 'a', w: 16, h: 4, unit: 'ratio', thresholds: 'target95', queries: ['a'] },
          { type: 'stat', title: 'b', description: 'b', w: 16, h: 6, queries: [{ expr: 'b', legend: 'B' }] },
        ],
      },
    ],
  }) as { panels: { id: number; gridPos: object; targets?: { legendFormat: string; datasource: object }[]; fieldConfig?: { defaults: { unit?: string; thresholds: { steps: unknown[] } } } }[]; templating: { list: { name: string; definition?: string }[] } };

  it('numbers panels and wraps them at 24 columns below the tallest of the line', () => {
    expect(d.panels.map((p) => [p.id, p.gridPos])).toEqual([
      [1, { h: 1, w: 24, x: 0, y: 0 }],
      [2, { h: 4, w: 16, x: 0, y: 1 }],
      [3, { h: 6, w: 16, x: 0, y: 5 }],
    ]);
  });

  it('applies the unit and thresholds by name, the datasource variable and instance legends', () => {
    expect(d.panels[1]!.fieldConfig!.defaults.unit).toBe('percentunit');
    expect(d.panels[1]!.fieldConfig!.defaults.thresholds.steps).toEqual([{ color: 'red', value: null }, { color: 'green', value: 0.95 }]);
    expect(d.panels[2]!.targets![0]).toMatchObject({ legendFormat: '{{instance}} · B', datasource: { type: 'prometheus', uid: '${datasource}' } });
  });

  it('puts datasource, job and instance first and filters the other variables by them', () => {
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'instance', 'gate', 'exporter_url']);
    expect(d.templating.list[3]!.definition).toBe(`label_values(g_total{${M}}, gate)`);
  });

  it('deepMerge merges objects and replaces arrays', () => {
    expect(deepMerge({ a: { b: 1, c: [1, 2] } }, { a: { c: [3] }, d: 1 })).toEqual({ a: { b: 1, c: [3] }, d: 1 });
  });
});
