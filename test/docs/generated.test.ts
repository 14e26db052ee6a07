/**
 * The generated reference pages: each one on disk is exactly what its generator renders now
 * (so a metric, variable, alert or panel added without `npm run docs` fails here), and each
 * generator covers everything in its source.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dashboards } from '../../grafana/src/index.js';
import { ruleFiles } from '../../scripts/docs/alerts.js';
import { renderDashboards } from '../../scripts/docs/dashboards.js';
import { renderMetrics } from '../../scripts/docs/metrics.js';
import { generatedPages } from '../../scripts/docs/pages.js';
import { renderPerformance } from '../../scripts/docs/performance.js';
import { REPO_ROOT } from '../../src/config.js';
import { variableFlags } from '../../src/flags.js';
import { catalog, type MetricDef } from '../../src/metrics/catalog.js';

const page = (file: string) => readFileSync(path.join(REPO_ROOT, 'docs', file), 'utf8');

describe('generated docs', () => {
  it.each(Object.keys(generatedPages))('docs/%s is fresh (npm run docs)', (file) => {
    expect(page(file), `docs/${file} is stale: run npm run docs`).toBe(generatedPages[file]!());
  });

  it('metrics.md lists every catalog metric with its type and labels, and a new one changes it', () => {
    const text = renderMetrics();
    for (const def of catalog) expect(text).toContain(`| \`${def.name}\` | ${def.type} |`);
    const added: MetricDef = { ...(catalog[0] as MetricDef & { type: 'gauge' }), name: 'wvo_docs_probe', help: 'A probe.' };
    expect(renderMetrics([...catalog, added])).toContain('`wvo_docs_probe`');
    expect(text).toContain('yes, from its lines');
  });

  it('configuration.md lists every variable with its flag', () => {
    const text = page('configuration.md');
    for (const v of variableFlags()) expect(text).toContain(`| \`${v.variable}\` | \`--${v.flag}\` |`);
  });

  it('alerts.md has a section for every alert and a row for every recording rule', () => {
    const text = page('alerts.md');
    for (const { groups } of ruleFiles())
      for (const rule of groups.flatMap((g) => g.rules)) {
        if (rule.alert) expect(text).toContain(`### ${rule.alert}\n`);
        if (rule.record) expect(text).toContain(`\`${rule.record}\``);
      }
  });

  it('dashboards.md shows every panel of every dashboard, and a new panel changes it', () => {
    const text = page('dashboards.md');
    const titles = (panels: { type: string; title: string; panels?: unknown[] }[]): string[] =>
      panels.flatMap((p) => (p.type === 'row' ? [p.title, ...titles((p.panels ?? []) as typeof panels)] : [p.title]));
    for (const d of dashboards) for (const t of titles(d.panels as never)) expect(text).toContain(t);
    const first = dashboards[0]!;
    const more = { ...first, panels: [...(first.panels as object[]), { type: 'stat', title: 'Docs probe panel', description: 'Is it listed?' }] };
    expect(renderDashboards([more, ...dashboards.slice(1)])).toContain('| Docs probe panel | stat | Is it listed? |');
  });

  it('performance.md carries the figures table of bench/RESULTS.md', () => {
    const results = 'Machine: test\n\n| figure | measured | goal | met? |\n|---|---|---|---|\n| a figure | 1 s | ≤ 2 s | yes |\n\nRun 2026-01-01';
    const text = renderPerformance(results);
    expect(text).toContain('| a figure | 1 s | ≤ 2 s | yes |');
    expect(text).toContain('Machine: test');
  });
});
