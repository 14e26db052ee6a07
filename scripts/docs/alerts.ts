/** docs/alerts.md from the rule files and deploy/prometheus/runbooks.yml: every alert with its runbook. */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../src/config.js';
import { code, generatedBanner, table } from './markdown.js';

export const RULES_DIR = path.join(REPO_ROOT, 'deploy/prometheus/rules');
export const RUNBOOKS_FILE = path.join(REPO_ROOT, 'deploy/prometheus/runbooks.yml');
/** Where runbook_url points: this page on the default branch, at the alert's anchor. */
export const RUNBOOK_BASE = 'https://github.com/wvo-exporter/wvo-exporter/blob/main/docs/alerts.md#';

/** A rule of a Prometheus rule file, as the docs and the rule tests read it. */
export interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
export interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}
export interface Runbook {
  meaning: string;
  checks: string;
  fix: string;
}

export function ruleFiles(): ({ file: string } & RuleFile)[] {
  return readdirSync(RULES_DIR)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .map((f) => ({ file: `deploy/prometheus/rules/${f}`, groups: (parse(readFileSync(path.join(RULES_DIR, f), 'utf8')) as RuleFile).groups }));
}

export const readRunbooks = (): Record<string, Runbook> => parse(readFileSync(RUNBOOKS_FILE, 'utf8')) as Record<string, Runbook>;

/** GitHub's anchor for a heading that is one word: lower-cased. */
export const anchorOf = (alert: string) => alert.toLowerCase();

export function renderAlerts(): string {
  const files = ruleFiles();
  const runbooks = readRunbooks();
  const tiers = new Map<string, { group: string; rule: Rule }[]>();
  const records: string[][] = [];
  for (const { groups } of files)
    for (const g of groups)
      for (const rule of g.rules) {
        if (rule.alert) tiers.set(rule.alert, [...(tiers.get(rule.alert) ?? []), { group: g.name, rule }]);
        else if (rule.record) records.push([code(rule.record), code(rule.expr.trim()), g.name]);
      }
  const index = [...tiers].map(([name, rs]) => [`[${name}](#${anchorOf(name)})`, [...new Set(rs.map((r) => r.rule.labels?.severity ?? ''))].join(', '), rs[0]!.group]);
  const sections = [...tiers].map(([name, rs]) => {
    const book = runbooks[name];
    const tierText = rs
      .map(({ rule }) => `**${rule.labels?.severity ?? 'no severity'}**, for ${rule.for ?? '0s'}: ${rule.annotations?.summary ?? ''}\n\n\`\`\`promql\n${rule.expr.trim()}\n\`\`\``)
      .join('\n\n');
    const bookText = book ? `**Meaning:** ${book.meaning}\n\n**First checks:** ${book.checks}\n\n**Fix:** ${book.fix}` : '**No runbook yet.**';
    return `### ${name}\n\n${tierText}\n\n${bookText}`;
  });
  return `${generatedBanner(`${files.map((f) => f.file).join(', ')} and deploy/prometheus/runbooks.yml`)}
# Alerts and runbooks

The alerting rules ship in \`deploy/prometheus/rules/\` (the compose stack loads them; add them
to your own Prometheus with \`rule_files\`). Every alert carries \`severity\` (\`critical\` pages,
\`warning\` opens a ticket), the \`workspace\` label joined from \`wvo_exporter_info\` so a fleet
on one Prometheus tells autopilots apart, and the annotations \`summary\`, \`description\` and
\`runbook_url\`, which points at the alert's section below. Alerts with two tiers keep one name;
Alertmanager (\`deploy/alertmanager/alertmanager.yml\`) inhibits the warning while the critical
fires. \`promtool test rules deploy/prometheus/tests/*.yml\` runs the rules' unit tests.

${table(['alert', 'severity', 'group'], index)}

## Alerts

${sections.join('\n\n')}

## Recording rules

Dashboards and alerts read these precomputed series (\`level:metric:operation\`).

${table(['series', 'expression', 'group'], records)}
`;
}
