/**
 * The exporter's own span and event attribute names (everything else comes from
 * @opentelemetry/semantic-conventions). Declared once here; `wvo.task.id` is what TraceQL
 * searches and dashboard links use, so it never changes.
 */
export const WVO_TASK_ID = 'wvo.task.id';
export const WVO_TASK_TITLE = 'wvo.task.title';
export const WVO_TASK_STATUS = 'wvo.task.status';
export const WVO_TASK_EPIC = 'wvo.task.epic';
export const WVO_COST_USD = 'wvo.cost.usd';
export const WVO_QUALITY_SCORE = 'wvo.quality.score';
export const WVO_OUTCOME = 'wvo.outcome';
export const WVO_PHASE = 'wvo.phase';
export const WVO_PROMPT_CACHE_HIT = 'wvo.prompt_cache.hit';
export const WVO_RUN_ID = 'wvo.run.id';
export const WVO_GATE_VERDICT = 'wvo.gate.verdict';
export const WVO_GATE_CONSENSUS = 'wvo.gate.consensus';
export const WVO_GATE_REASONING = 'wvo.gate.reasoning';
export const WVO_GATE_REVIEWER = 'wvo.gate.reviewer';
export const WVO_GATE_MODEL = 'wvo.gate.model';
export const WVO_GATE_CONCERNS = 'wvo.gate.concerns';
export const WVO_GATE_BLOCKERS = 'wvo.gate.blockers';
export const WVO_GATE_DETECTIONS = 'wvo.gate.detections';
/** Prefix of one attribute per rubric criterion: `wvo.gate.rubric.correctness`. */
export const WVO_GATE_RUBRIC_PREFIX = 'wvo.gate.rubric.';
export const WVO_RESOLUTION_ATTEMPT = 'wvo.resolution.attempt';
export const WVO_RESOLUTION_ATTEMPTS = 'wvo.resolution.attempts';
export const WVO_RESOLUTION_LABEL = 'wvo.resolution.label';
export const WVO_CLOSED_BY = 'wvo.task.closed_by';
/** Where the span's line lives: `executions` or `quality_decisions`, and its byte offset. */
export const WVO_LINE_SOURCE = 'wvo.line.source';
export const WVO_LINE_PATH = 'wvo.line.path';
export const WVO_LINE_OFFSET = 'wvo.line.offset';
/** Resource attribute: the workspace name (WVO_WORKSPACE_NAME) the trace ids derive from. */
export const WVO_WORKSPACE = 'wvo.workspace';

/** Event names on the root span (the GenAI conventions have none for a retry loop). */
export const EVENT_RESOLUTION_ATTEMPT = 'wvo.resolution.attempt';
export const EVENT_RESOLUTION_CLOSED = 'wvo.resolution.closed';
