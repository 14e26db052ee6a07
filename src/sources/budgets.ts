import type { Logger } from 'pino';
import { z } from 'zod';
import { onFilesChanged } from '../http/file-poll.js';
import { loadConfigFile } from './parse.js';

export const BUDGET_PERIODS = ['day', 'week', 'month'] as const;
export const OBJECTIVES = ['execution_success', 'loops_closed_within_3', 'gate_approval'] as const;
/** The windows the recording rules compute an error budget over (deploy/prometheus/rules/recording.yml). */
export const OBJECTIVE_WINDOWS = ['7d', '14d', '28d', '30d'] as const;
export const BUDGETS_POLL_MS = 1000;

// Strict entries: a misspelt key (perod, usd_per_day) is an error, not a budget silently missing.
const name = z.string().trim().min(1).max(128);
const budget = z
  .object({ period: z.enum(BUDGET_PERIODS), usd: z.number().finite().positive(), model: name.optional(), provider: name.optional() })
  .strict()
  .refine((b) => b.model === undefined || b.provider === undefined, { message: 'a budget is for a model or a provider, not both' });
const objective = z
  .object({ name: z.enum(OBJECTIVES), target: z.number().gt(0).lt(1), window: z.enum(OBJECTIVE_WINDOWS).default('28d') })
  .strict();
const schema = z
  .object({ budgets: z.array(budget).default([]), objectives: z.array(objective).default([]) })
  .strict()
  .superRefine((doc, ctx) => {
    // Two entries for one series would export it twice (and make the rules' joins ambiguous).
    const seen = new Map<string, number>();
    doc.budgets.forEach((b, i) => {
      const key = `${b.period} ${budgetScope(b)}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['budgets', i], message: `a second ${b.period} budget for ${budgetScope(b)} (first at budgets.${seen.get(key)})` });
      else seen.set(key, i);
    });
    const objectives = new Map<string, number>();
    doc.objectives.forEach((o, i) => {
      if (objectives.has(o.name)) ctx.addIssue({ code: 'custom', path: ['objectives', i], message: `a second objective ${o.name} (first at objectives.${objectives.get(o.name)})` });
      else objectives.set(o.name, i);
    });
  });

/** WVO_BUDGETS_FILE: spend budgets per calendar period (UTC) and scope, and objectives with their targets. */
export type Budgets = z.output<typeof schema>;
export type Budget = Budgets['budgets'][number];

export class BudgetsError extends Error {}

/** The `scope` label of a budget: `all`, `model:<model>` or `provider:<provider>` (the executions' agent_type). */
export function budgetScope(b: Pick<Budget, 'model' | 'provider'>): string {
  return b.model !== undefined ? `model:${b.model}` : b.provider !== undefined ? `provider:${b.provider}` : 'all';
}

/** Reads and validates a budgets file (YAML, or JSON when it ends in .json); throws naming every bad entry (up to 5). */
export function loadBudgets(file: string): Budgets {
  try {
    return loadConfigFile(file, schema, 5);
  } catch (err) {
    throw new BudgetsError((err as Error).message);
  }
}

/**
 * Re-reads the budgets file whenever it changes and hands each good version to `apply`; a
 * rewrite that does not load (half-written, invalid, deleted) keeps the last good budgets.
 * Returns the function that stops watching.
 */
export function watchBudgets(file: string, apply: (budgets: Budgets) => void, logger: Logger, everyMs = BUDGETS_POLL_MS): () => void {
  return onFilesChanged([file], everyMs, () => {
    try {
      const budgets = loadBudgets(file);
      apply(budgets);
      logger.info({ file, budgets: budgets.budgets.length, objectives: budgets.objectives.length }, 'budgets file reloaded');
    } catch (err) {
      logger.warn({ file, err: (err as Error).message }, 'budgets file changed but cannot be used: keeping the last good budgets');
    }
  });
}
