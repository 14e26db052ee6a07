/**
 * Static checks of the Prometheus rules, their promtool unit tests and the
 * Alertmanager routing. The rules themselves are exercised by
 * `promtool test rules deploy/prometheus/tests/*.yml`; this suite keeps the
 * files honest without needing promtool: every expression parses, every
 * metric it reads is exported (or recorded), every alert is documented and
 * tested both ways, and critical/warning alerts reach the right receivers.
 */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportedSeriesNames } from '../../src/metrics/catalog.js';
import { RUNBOOK_BASE, anchorOf, readRunbooks, type RuleFile } from '../../scripts/docs/alerts.js';
import { parsePromQL, promqlStructure } from '../support/promql.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RULES_DIR = path.join(ROOT, 'deploy/prometheus/rules');
const TESTS_DIR = path.join(ROOT, 'deploy/prometheus/tests');
const ALERTMANAGER_FILE = path.join(ROOT, 'deploy/alertmanager/alertmanager.yml');
const SEVERITIES = new Set(['critical', 'warning']);
/** Series Prometheus itself provides. */
const PROMETHEUS_SERIES = new Set(['up', 'ALERTS', 'ALERTS_FOR_STATE']);

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] | null;
}
interface PromtoolTestFile {
  rule_files: string[];
  tests: {
    name?: string;
    alert_rule_test?: AlertRuleTest[];
    promql_expr_test?: { expr: string; eval_time: string }[];
  }[];
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => path.join(dir, f));
}
function load<T>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

const ruleFiles = yamlFiles(RULES_DIR).map((file) => ({ file, content: load<RuleFile>(file) }));
const rules = ruleFiles.flatMap(({ file, content }) =>
  content.groups.flatMap((group) => group.rules.map((rule) => ({ file, group: group.name, rule }))),
);
const alertRules = rules.filter((r) => r.rule.alert !== undefined);
const recordingRules = rules.filter((r) => r.rule.record !== undefined);
const alertNames = [...new Set(alertRules.map((r) => r.rule.alert as string))].sort();
const recordedNames = new Set(recordingRules.map((r) => r.rule.record as string));
const exported: ReadonlySet<string> = exportedSeriesNames();
const testFiles = yamlFiles(TESTS_DIR).map((file) => ({ file, content: load<PromtoolTestFile>(file) }));

describe('rule files', () => {
  it('exist and define alerts and recording rules', () => {
    expect(ruleFiles.map((f) => path.basename(f.file))).toEqual(['alerts.yml', 'recording.yml']);
    expect(alertRules.length).toBeGreaterThan(10);
    expect(recordingRules.length).toBeGreaterThan(5);
  });

  it('use unique group names', () => {
    const groups = ruleFiles.flatMap((f) => f.content.groups.map((g) => g.name));
    expect(new Set(groups).size).toBe(groups.length);
  });

  it('name recording rules level:metric:operation under wvo:, each once', () => {
    for (const { rule } of recordingRules) {
      expect(rule.record).toMatch(/^wvo:[a-z0-9_]+:[a-z0-9_]+$/);
    }
    expect(recordedNames.size).toBe(recordingRules.length);
  });

  it.each(rules.map((r) => [r.rule.alert ? `${r.rule.alert} (${r.rule.labels?.severity})` : r.rule.record, r.rule] as const))(
    '%s: expression parses and reads only exported or recorded series',
    (_name, rule) => {
      expect(rule.expr).not.toContain('__name__');
      const { metrics } = parsePromQL(rule.expr);
      expect(metrics.length).toBeGreaterThan(0);
      for (const metric of metrics) {
        const known = recordedNames.has(metric) || PROMETHEUS_SERIES.has(metric) || exported.has(metric);
        expect(known, `${metric} is neither exported, recorded nor a Prometheus series`).toBe(true);
      }
    },
  );
});

describe('rules keep the target (a fleet on one Prometheus)', () => {
  it.each(rules.map((r) => [r.rule.alert ?? r.rule.record, r.rule] as const))('%s never merges two autopilots', (_name, rule) => {
    const { aggregations, matching } = promqlStructure(rule.expr);
    for (const a of aggregations) {
      const keeps = a.modifier === 'by' ? ['job', 'instance'].every((l) => a.labels.includes(l)) : a.modifier === 'without' && !a.labels.some((l) => l === 'job' || l === 'instance');
      expect(keeps, `${a.op} ${a.modifier ?? ''}(${a.labels.join(', ')}) in ${rule.expr}`).toBe(true);
    }
    for (const m of matching) {
      const keeps = m.modifier === 'on' ? ['job', 'instance'].every((l) => m.labels.includes(l)) : !m.labels.some((l) => l === 'job' || l === 'instance');
      expect(keeps, `${m.modifier}(${m.labels.join(', ')}) in ${rule.expr}`).toBe(true);
    }
  });

  it.each(alertRules.map((r) => [`${r.rule.alert} (${r.rule.labels?.severity})`, r.rule] as const))('%s names the workspace in its summary', (_name, rule) => {
    expect(rule.expr).toMatch(/group_left \(workspace\)[\s\S]*wvo_exporter_info/);
    expect(rule.annotations?.summary).toMatch(/^\{\{ with \$labels\.workspace \}\}\[\{\{ \. \}\}\] \{\{ end \}\}/);
  });
});

describe('alerting rules', () => {
  it.each(alertRules.map((r) => [`${r.rule.alert} (${r.rule.labels?.severity})`, r.rule] as const))(
    '%s: severity, summary, description, runbook and for',
    (_name, rule) => {
      const name = rule.alert as string;
      expect(name).toMatch(/^Wvo[A-Za-z0-9]+$/);
      expect(SEVERITIES.has(rule.labels?.severity ?? '')).toBe(true);
      expect(rule.annotations?.summary?.trim()).toBeTruthy();
      expect(rule.annotations?.description?.trim()).toBeTruthy();
      // descriptions carry the observed value or the labels that identify it
      expect(rule.annotations?.description).toMatch(/\{\{.*\$(value|labels)/s);
      expect(rule.annotations?.runbook_url).toBe(`${RUNBOOK_BASE}${anchorOf(name)}`);
      expect(rule.for, 'every alert waits before firing').toMatch(/^\d+[smh]$/);
    },
  );

  it.each(alertNames)('%s has its runbook in deploy/prometheus/runbooks.yml', (name) => {
    const book = readRunbooks()[name];
    for (const part of ['meaning', 'checks', 'fix'] as const) expect(book?.[part]?.trim(), `${name}.${part}`).toBeTruthy();
  });

  it('runbooks.yml holds no runbook for an alert that does not exist', () => {
    expect(Object.keys(readRunbooks()).filter((n) => !alertNames.includes(n))).toEqual([]);
  });

  it('give tiers of one alert distinct severities', () => {
    for (const name of alertNames) {
      const severities = alertRules.filter((r) => r.rule.alert === name).map((r) => r.rule.labels?.severity);
      expect(new Set(severities).size, name).toBe(severities.length);
    }
  });
});

describe('promtool unit tests', () => {
  const alertCases = testFiles.flatMap(({ content }) =>
    content.tests.flatMap((t) => t.alert_rule_test ?? []),
  );
  const exprCases = testFiles.flatMap(({ content }) =>
    content.tests.flatMap((t) => t.promql_expr_test ?? []),
  );

  it('load rule files that exist', () => {
    expect(testFiles.length).toBeGreaterThan(0);
    for (const { file, content } of testFiles) {
      expect(content.rule_files.length).toBeGreaterThan(0);
      for (const ruleFile of content.rule_files) {
        expect(existsSync(path.resolve(path.dirname(file), ruleFile)), `${file}: ${ruleFile}`).toBe(true);
      }
    }
  });

  it('only test alerts that exist', () => {
    for (const c of alertCases) expect(alertNames).toContain(c.alertname);
  });

  it.each(alertNames)('%s has a case where it fires and one where it does not', (name) => {
    const cases = alertCases.filter((c) => c.alertname === name);
    const firing = cases.filter((c) => (c.exp_alerts ?? []).length > 0);
    const quiet = cases.filter((c) => (c.exp_alerts ?? []).length === 0);
    expect(firing.length, `${name}: no firing case`).toBeGreaterThan(0);
    expect(quiet.length, `${name}: no non-firing case`).toBeGreaterThan(0);

    // every severity tier of the alert fires somewhere, with its full annotations
    const tested = new Set(firing.flatMap((c) => (c.exp_alerts ?? []).map((a) => a.exp_labels?.severity)));
    for (const { rule } of alertRules.filter((r) => r.rule.alert === name)) {
      expect(tested.has(rule.labels?.severity), `${name} ${rule.labels?.severity}`).toBe(true);
    }
    for (const alert of firing.flatMap((c) => c.exp_alerts ?? [])) {
      expect(Object.keys(alert.exp_annotations ?? {}).sort()).toEqual(['description', 'runbook_url', 'summary']);
    }
  });

  it.each([...recordedNames].sort())('recording rule %s has a promql_expr_test', (name) => {
    const tested = exprCases.some((c) => parsePromQL(c.expr).metrics.includes(name));
    expect(tested).toBe(true);
  });
});

// ---------------------------------------------------------------- Alertmanager

interface Route {
  receiver?: string;
  matchers?: string[];
  match?: Record<string, string>;
  match_re?: Record<string, string>;
  continue?: boolean;
  group_by?: string[];
  routes?: Route[];
}
interface InhibitRule {
  source_matchers?: string[];
  target_matchers?: string[];
  equal?: string[];
}
interface AlertmanagerConfig {
  global?: Record<string, unknown>;
  route: Route;
  receivers: { name: string; [kind: string]: unknown }[];
  inhibit_rules?: InhibitRule[];
}
type Labels = Record<string, string>;

function matcher(text: string): (labels: Labels) => boolean {
  const m = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$/.exec(text);
  if (!m) throw new Error(`unsupported matcher ${text}`);
  const [, name, op, value] = m as unknown as [string, string, string, string];
  const re = new RegExp(`^(?:${value})$`);
  return (labels) => {
    const v = labels[name] ?? '';
    switch (op) {
      case '=':
        return v === value;
      case '!=':
        return v !== value;
      case '=~':
        return re.test(v);
      default:
        return !re.test(v);
    }
  };
}
function matchesAll(list: string[] | undefined, labels: Labels): boolean {
  return (list ?? []).every((text) => matcher(text)(labels));
}
function routeMatches(route: Route, labels: Labels): boolean {
  const legacy = Object.entries(route.match ?? {}).every(([k, v]) => (labels[k] ?? '') === v);
  const legacyRe = Object.entries(route.match_re ?? {}).every(([k, v]) =>
    new RegExp(`^(?:${v})$`).test(labels[k] ?? ''),
  );
  return legacy && legacyRe && matchesAll(route.matchers, labels);
}
/** Alertmanager's routing: first matching child unless `continue`, else the node itself. */
function receiversFor(route: Route, labels: Labels, inherited?: string): string[] {
  const receiver = route.receiver ?? inherited;
  const found: string[] = [];
  for (const child of route.routes ?? []) {
    if (!routeMatches(child, labels)) continue;
    found.push(...receiversFor(child, labels, receiver));
    if (!child.continue) break;
  }
  return found.length > 0 ? found : [receiver as string];
}
function inhibited(config: AlertmanagerConfig, target: Labels, source: Labels): boolean {
  return (config.inhibit_rules ?? []).some(
    (rule) =>
      matchesAll(rule.source_matchers, source) &&
      matchesAll(rule.target_matchers, target) &&
      (rule.equal ?? []).every((l) => (source[l] ?? '') === (target[l] ?? '')),
  );
}

describe('alertmanager.yml', () => {
  const config = load<AlertmanagerConfig>(ALERTMANAGER_FILE);
  const kinds = (receiver: string): string[] => {
    const r = config.receivers.find((x) => x.name === receiver);
    expect(r, `receiver ${receiver}`).toBeDefined();
    return Object.keys(r ?? {}).filter((k) => k.endsWith('_configs'));
  };
  const integrations = (labels: Labels): Set<string> =>
    new Set(receiversFor(config.route, labels).flatMap((r) => kinds(r)));
  const base = { job: 'wvo-exporter', instance: 'exporter:3030' };

  it('routes every critical alert to PagerDuty and Slack', () => {
    for (const name of alertNames) {
      const got = integrations({ ...base, alertname: name, severity: 'critical' });
      expect([...got].sort(), name).toEqual(['pagerduty_configs', 'slack_configs']);
    }
  });

  it('routes every warning to Slack only', () => {
    for (const name of alertNames) {
      const got = integrations({ ...base, alertname: name, severity: 'warning' });
      expect([...got], name).toEqual(['slack_configs']);
    }
  });

  it('groups by alertname and severity', () => {
    expect(config.route.group_by).toEqual(expect.arrayContaining(['alertname', 'severity']));
  });

  it('reads receiver credentials from files, never inline', () => {
    const text = readFileSync(ALERTMANAGER_FILE, 'utf8');
    expect(text).not.toMatch(/^\s*(slack_api_url|api_url|routing_key|service_key):/m);
    const pagerduty = config.receivers.flatMap((r) => (r.pagerduty_configs as Record<string, unknown>[]) ?? []);
    expect(pagerduty.length).toBeGreaterThan(0);
    for (const pd of pagerduty) expect(pd.routing_key_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
    const slack = config.receivers.flatMap((r) => (r.slack_configs as Record<string, unknown>[]) ?? []);
    for (const s of slack) {
      expect(s.api_url_file ?? config.global?.slack_api_url_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
    }
  });

  it('lets a critical inhibit the warning of the same alert and target only', () => {
    const warning = { ...base, alertname: 'WvoHostDiskUsageHigh', severity: 'warning' };
    const critical = { ...warning, severity: 'critical' };
    expect(inhibited(config, warning, critical)).toBe(true);
    expect(inhibited(config, critical, warning)).toBe(false);
    expect(inhibited(config, warning, { ...critical, instance: 'other:3030' })).toBe(false);
    expect(inhibited(config, { ...warning, alertname: 'WvoSourceStale' }, critical)).toBe(false);

    const tokenWarning = {
      ...base,
      alertname: 'WvoProviderTokenUsageHigh',
      severity: 'warning',
      provider: 'claude',
      account: 'primary',
      window: 'hour',
    };
    expect(inhibited(config, tokenWarning, { ...tokenWarning, severity: 'critical' })).toBe(true);
    expect(inhibited(config, tokenWarning, { ...tokenWarning, severity: 'critical', window: 'day' })).toBe(false);
  });

  it('lets an infinite loop inhibit the attempt-3 warning of the same task', () => {
    const loop = { ...base, alertname: 'WvoResolutionInfiniteLoop', severity: 'critical', task_id: 'T-1' };
    const attempt3 = { ...base, alertname: 'WvoResolutionLoopAtAttempt3', severity: 'warning', task_id: 'T-1' };
    expect(inhibited(config, attempt3, loop)).toBe(true);
    expect(inhibited(config, { ...attempt3, task_id: 'T-2' }, loop)).toBe(false);
  });

  it('lets a provider that is down inhibit its degraded warning', () => {
    const down = { ...base, alertname: 'WvoProviderDown', severity: 'critical', provider: 'claude', status: 'down' };
    const degraded = { ...down, alertname: 'WvoProviderDegraded', severity: 'warning' };
    expect(inhibited(config, degraded, down)).toBe(true);
    expect(inhibited(config, { ...degraded, provider: 'codex' }, down)).toBe(false);
  });

  it('only references receivers that exist and inhibits with known alert names', () => {
    const names = new Set(config.receivers.map((r) => r.name));
    const walk = (route: Route): void => {
      if (route.receiver) expect(names.has(route.receiver), route.receiver).toBe(true);
      (route.routes ?? []).forEach(walk);
    };
    walk(config.route);
    for (const rule of config.inhibit_rules ?? []) {
      for (const m of [...(rule.source_matchers ?? []), ...(rule.target_matchers ?? [])]) {
        const named = /^alertname="(.+)"$/.exec(m);
        if (named) expect(alertNames).toContain(named[1]);
      }
    }
  });
});
