/**
 * Issue 8's series (names agreed in the team brief), used by panels and alerts before the
 * branch that exports them is merged. They are allowed only while the catalog has none of
 * them: once it has any, every dashboard and rule must name the catalog's series exactly.
 */
const ISSUE_8_SERIES = [
  'wvo_execution_failures_total', 'wvo_execution_outcomes_total', 'wvo_execution_quality_score_bucket',
  'wvo_execution_quality_score_sum', 'wvo_execution_quality_score_count', 'wvo_execution_prompt_cache_total',
  'wvo_autopilot_anomalies', 'wvo_autopilot_remediations_total', 'wvo_task_dependency_sync_ratio',
  'wvo_model_router_tasks', 'wvo_model_router_routed_tasks', 'wvo_model_router_cost_usd',
  'wvo_model_router_savings_ratio', 'wvo_provider_estimated_cost_usd',
];

/** The issue 8 series still to come, given the names the catalog exports now (empty once merged). */
export function pendingIssue8Series(catalog: ReadonlySet<string>): string[] {
  return ISSUE_8_SERIES.every((name) => !catalog.has(name)) ? ISSUE_8_SERIES : [];
}
