/**
 * Spend budgets and objectives (docs/budgets.md): spend against budget and its projection per
 * period, the error budget left and the burn rate per objective, and the state of their alerts.
 * Reads the recording rules of deploy/prometheus/rules/recording.yml (wvo.recording.budgets and
 * wvo.recording.objectives); empty for an autopilot without WVO_BUDGETS_FILE.
 */
import { dashboard } from '../builder.js';

/** Only the scopes and periods that have a budget. */
const BUDGETED = 'on (job, instance, period, scope) wvo_budget_usd';
const BUDGET_ALERTS = 'ALERTS{alertname=~"WvoSpendBudget.*|WvoObjectiveBurnRate"}';

export default dashboard({
  uid: 'wvo-budgets',
  title: 'WVO Autopilot · Budgets and objectives',
  description: 'What each autopilot may spend per day, week and month (WVO_BUDGETS_FILE) against what it spent so far and where the recent rate takes it, and how fast each objective burns its error budget. Empty without a budgets file.',
  tags: ['wvo', 'budgets', 'slo'],
  time: 'now-24h',
  links: [{ title: 'Budgets and objectives (docs)', url: 'https://github.com/wvo-exporter/wvo-exporter/blob/main/docs/budgets.md', tooltip: 'The budgets file, the rules and the runbooks' }],
  variables: [],
  rows: [
    {
      row: 'Spend against budget',
      panels: [
        {
          type: 'bargauge',
          title: 'Budget spent so far',
          description: 'Spend so far in the current UTC day, ISO week and month / the budget, per budget (period · scope). Spend counts from the period start, or from when Prometheus started if later.',
          w: 8,
          h: 8,
          unit: 'ratio',
          thresholds: 'usage',
          queries: [{ expr: `wvo:budget_spend_usd:period_to_date / ${BUDGETED}`, legend: '{{period}} · {{scope}}', instant: true }],
          defaults: { min: 0, max: 1 },
        },
        {
          type: 'bargauge',
          title: 'Projected at the end of the period (1h rate)',
          description: 'Spend at the end of the period if the rate of the last hour holds / the budget. Above 100 %: on course to overspend (WvoSpendBudgetBurn tickets on the 6h and 30m rates).',
          w: 8,
          h: 8,
          unit: 'ratio',
          thresholds: 'usage',
          queries: [{ expr: `wvo:budget_spend_usd:projected_rate1h / ${BUDGETED}`, legend: '{{period}} · {{scope}}', instant: true }],
          defaults: { min: 0, max: 2 },
        },
        {
          type: 'stat',
          title: 'Budgets',
          description: 'The budgets of WVO_BUDGETS_FILE (wvo_budget_usd), per period and scope (all, model:<model>, provider:<agent_type>).',
          w: 8,
          h: 8,
          unit: 'usd',
          thresholds: 'info',
          queries: [{ expr: 'wvo_budget_usd', legend: '{{period}} · {{scope}}', instant: true }],
          options: { graphMode: 'none', textMode: 'value_and_name' },
        },
        {
          type: 'timeseries',
          title: 'Spend so far, projection and budget',
          description: 'Per budget: spend so far in the period (solid), projected to the end of the period from the last hour (dashed by name) and the budget (the flat line). The spend line drops to 0 when a period begins.',
          w: 24,
          h: 9,
          unit: 'usd',
          queries: [
            { expr: `wvo:budget_spend_usd:period_to_date and ${BUDGETED}`, legend: '{{period}} · {{scope}} · spent' },
            { expr: `wvo:budget_spend_usd:projected_rate1h and ${BUDGETED}`, legend: '{{period}} · {{scope}} · projected' },
            { expr: 'wvo_budget_usd', legend: '{{period}} · {{scope}} · budget' },
          ],
          overrides: [
            { matcher: { id: 'byRegexp', options: '.*projected$' }, properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }] },
            { matcher: { id: 'byRegexp', options: '.*budget$' }, properties: [{ id: 'custom.lineWidth', value: 2 }, { id: 'color', value: { mode: 'fixed', fixedColor: 'red' } }] },
          ],
        },
      ],
    },
    {
      row: 'Objectives',
      panels: [
        {
          type: 'bargauge',
          title: 'Error budget left',
          description: "Share of each objective's error budget (1 − target) left over its window (7d, 14d, 28d or 30d); negative once overspent.",
          w: 8,
          h: 8,
          unit: 'ratio',
          thresholds: 'budgetLeft',
          queries: [{ expr: 'wvo:objective_error_budget:remaining_ratio', legend: '{{objective}} ({{window}})', instant: true }],
          defaults: { min: -1, max: 1 },
        },
        {
          type: 'stat',
          title: 'Objective targets',
          description: 'The targets of WVO_BUDGETS_FILE (wvo_objective_ratio): the share of good events each objective must reach over its window.',
          w: 4,
          h: 8,
          unit: 'ratio',
          thresholds: 'info',
          queries: [{ expr: 'wvo_objective_ratio', legend: '{{objective}} ({{window}})', instant: true }],
          options: { graphMode: 'none', textMode: 'value_and_name' },
          defaults: { decimals: 1 },
        },
        {
          type: 'timeseries',
          title: 'Burn rate (1h and 6h windows)',
          description: 'How many times faster than its target allows each objective spends its error budget, over the last hour and 6 hours. 1 spends it exactly over the window; the page fires at 14.4x (1h with 5m) or 6x (6h with 30m), the ticket at 3x (1d with 2h) or 1x (3d with 6h).',
          w: 12,
          h: 8,
          unit: 'none',
          thresholds: 'lineBurn',
          queries: [
            { expr: 'wvo:objective_error_budget:burn_rate1h', legend: '{{objective}} · 1h' },
            { expr: 'wvo:objective_error_budget:burn_rate6h', legend: '{{objective}} · 6h' },
          ],
          defaults: { min: 0, custom: { thresholdsStyle: { mode: 'dashed' } } },
        },
        {
          type: 'timeseries',
          title: 'Error ratio per objective (1h window)',
          description: 'Share of the last hour’s events that were errors: failed executions, loops closed after more than 3 attempts, decisions not approved. Shown for every autopilot, with or without an objective.',
          w: 24,
          h: 8,
          unit: 'ratio',
          queries: [{ expr: 'wvo:objective_error:ratio_rate1h', legend: '{{objective}}' }],
          defaults: { min: 0, max: 1 },
        },
      ],
    },
    {
      row: 'Alerts',
      panels: [
        {
          type: 'stat',
          title: 'Budget and objective alerts',
          description: 'WvoSpendBudgetBurn, WvoSpendBudgetExhausted and WvoObjectiveBurnRate now, by state (pending or firing) and severity; runbooks in docs/budgets.md.',
          w: 24,
          h: 5,
          unit: 'count',
          thresholds: 'anyIsBad',
          queries: [{ expr: `count by (instance, alertname, severity, alertstate) (${BUDGET_ALERTS})`, legend: '{{alertname}} · {{severity}} · {{alertstate}}', instant: true }],
          options: { colorMode: 'background', graphMode: 'none', textMode: 'value_and_name' },
          defaults: { decimals: 0, noValue: 'None' },
        },
      ],
    },
  ],
});
