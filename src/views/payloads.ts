/**
 * The JSON payloads of the REST API as zod schemas: one definition that types the drill-down
 * views and renders the OpenAPI document's components (z.toJSONSchema). The HTTP tests check
 * every route's real answer against the rendered schemas, so a view cannot drift from them.
 */
import { z } from 'zod';
import { TASK_STATES } from '../sources/roadmap.js';

// A plain string with the format (z.iso.datetime would add a page-long pattern to the document).
const isoTime = z.string().meta({ format: 'date-time' });
const num = z.number();
const numOrNull = z.number().nullable();
const strOrNull = z.string().nullable();
const counts = z.record(z.string(), z.number());
const freeObject = z.record(z.string(), z.unknown());

export const TaskStateSchema = z.enum(TASK_STATES).meta({ id: 'TaskState', description: 'Normalised task state (SPEC §2).' });

export const ErrorSchema = z
  .object({
    error: z.string().describe('What went wrong, in words.'),
    parameter: z.string().optional().describe('The query parameter at fault (400 only).'),
  })
  .meta({ id: 'Error' });

export const HealthzSchema = z
  .object({
    status: z.enum(['ok', 'starting']),
    timestamp: isoTime,
    version: z.number().int().optional().describe('Snapshot version (absent while starting).'),
  })
  .meta({ id: 'Healthz' });

const drillTask = z.object({
  id: z.string(),
  title: z.string(),
  status: TaskStateSchema,
  domain: strOrNull,
  milestone: strOrNull,
  labels: z.array(z.string()),
});

export const TasksMetricsSchema = z
  .object({
    updatedAt: isoTime,
    running: z.boolean(),
    tasksByState: z.object({ pending: num, ready: num, inProgress: num, blocked: num, done: num }),
    queueDepth: num,
    throughputLastHour: num,
    throughputLast5Min: num,
    wipUtilization: num,
    completionRatePerHour: num,
    completionRatePerDay: num,
    successRate: num,
    failureRate: num,
    retryRate: num,
    bottleneckStage: TaskStateSchema.nullable(),
    drilldown: z
      .object(Object.fromEntries(TASK_STATES.map((s) => [s, z.array(drillTask)])) as Record<(typeof TASK_STATES)[number], z.ZodArray<typeof drillTask>>)
      .describe('The first 20 tasks per state; GET /api/tasks has them all.'),
  })
  .meta({ id: 'TasksMetrics' });

export const QualityGatesSchema = z
  .object({
    updatedAt: isoTime,
    totalDecisions: num,
    byType: counts,
    consensusReachRate: num,
    rejectionReasons: z.array(z.object({ reason: z.string(), count: num })).describe('Top 10.'),
    approvals: num,
    rejections: num,
    gateBreakdown: z.array(z.object({ gate: z.string(), approvals: num, rejections: num })),
    rubricAverages: counts,
    adversarialCategories: z.array(z.object({ category: z.string(), count: num })),
  })
  .meta({ id: 'QualityGates' });

export const ResolutionSchema = z
  .object({
    updatedAt: isoTime.nullable(),
    activeLoops: z.array(
      z.object({
        taskId: z.string(),
        attempts: num.optional(),
        firstAttemptAt: isoTime.nullable(),
        lastAttemptAt: isoTime.nullable(),
        lastLabel: z.string().optional(),
        labels: z.array(z.string()).optional(),
        elapsedMs: num.optional(),
        runId: z.string().optional(),
        infiniteLoopFlag: z.boolean().optional(),
      }),
    ),
    stats: z.object({
      totalLoops: num,
      closedLoops: num,
      closedWithin3: num,
      infiniteLoopCount: num,
      incidentCount: num,
      attemptHistogram: counts,
    }),
    recentEvents: z.array(freeObject),
    recentlyClosed: z.array(
      z.object({
        taskId: z.string().optional(),
        attempts: num.optional(),
        closedAt: isoTime.nullable(),
        durationMs: num.optional(),
        runId: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'Resolution' });

export const ModelRouterSchema = z
  .object({
    totalTasks: numOrNull,
    totalCostActual: numOrNull,
    totalCostBaseline: numOrNull,
    totalSavings: numOrNull,
    savingsPercent: numOrNull,
    tierDistribution: counts,
  })
  .meta({ id: 'ModelRouter' });

export const ResourcesSchema = z
  .object({
    updatedAt: isoTime,
    host: z.object({ cpuPercent: numOrNull, memoryPercent: numOrNull, diskPercent: numOrNull }),
    processes: z.object({ claude: numOrNull, node: numOrNull }),
    throttle: z.object({ level: numOrNull, params: freeObject }),
    providers: z.array(
      z.object({
        provider: z.string(),
        totalLimitHits: num.optional(),
        totalRecoveries: num.optional(),
        totalFailovers: num.optional(),
        averageDowntimeMs: num.optional(),
        longestDowntimeMs: num.optional(),
        shortestDowntimeMs: num.optional(),
        currentStatus: z.string().optional(),
      }),
    ),
    tokenUsage: z.array(z.object({ provider: z.string(), hourlyTokens: num, dailyTokens: num, utilizationPercent: num })),
    estimatedCostPerTask: num,
    modelRouter: ModelRouterSchema.nullable().describe('The model router telemetry; null when the file is missing.'),
  })
  .meta({ id: 'Resources' });

export const UsageSchema = z
  .object({
    updatedAt: isoTime,
    providers: z.array(
      z.object({
        id: z.string().describe('`<provider>:<account>`'),
        provider: z.string(),
        hourlyTokens: num,
        hourlyRequests: num,
        dailyTokens: num,
        dailyRequests: num,
        utilizationPercent: num,
      }),
    ),
  })
  .meta({ id: 'Usage' });

export const AutopilotHealthSchema = z
  .object({
    updatedAt: isoTime,
    running: z.boolean(),
    dependencySyncRatio: numOrNull,
    activeAnomalies: z.array(
      z.object({ type: z.string(), severity: z.string(), description: strOrNull, detectedAt: isoTime.nullable(), metrics: freeObject }),
    ),
    recentRemediations: z.array(
      z.object({
        anomalyType: z.string(),
        anomalyDetectedAt: isoTime.nullable(),
        action: z.string(),
        rationale: strOrNull,
        estimatedImpact: strOrNull,
        safe: z.boolean().nullable(),
        success: z.boolean(),
        message: strOrNull,
      }),
    ),
  })
  .meta({ id: 'AutopilotHealth' });

export const StreamEventSchema = z
  .object({
    timestamp: isoTime,
    version: z.number().int(),
    tasks: TasksMetricsSchema,
    quality: QualityGatesSchema,
    resolution: ResolutionSchema,
    resources: ResourcesSchema,
    health: AutopilotHealthSchema,
  })
  .meta({ id: 'StreamEvent', description: 'The `data` of each server-sent event; its `id` is the snapshot version.' });

// --- task timeline -----------------------------------------------------------------------------

const intOrNull = z.number().int().nullable();
const boolOrNull = z.boolean().nullable();

const lineRef = z
  .object({
    path: z.string().describe('Workspace-relative path of the file the line was read from (an archive after a rotation).'),
    offset: z.number().int().describe('Byte offset of the line in that file.'),
    length: z.number().int().describe('Bytes the line occupies, its newline included.'),
  })
  .describe('Where the line lives.');

const ExecutionEventSchema = z.object({
  kind: z.literal('execution'),
  at: isoTime,
  line: lineRef,
  agentType: strOrNull,
  agentId: strOrNull,
  model: strOrNull,
  success: boolOrNull,
  outcome: strOrNull.describe('final_status as the writer wrote it.'),
  failureType: strOrNull,
  error: strOrNull,
  durationSeconds: numOrNull,
  inputTokens: numOrNull,
  outputTokens: numOrNull,
  costUsd: numOrNull,
  qualityScore: numOrNull,
  promptCacheHit: boolOrNull,
  phase: strOrNull,
});

const GateReviewSchema = z.object({
  gate: z.string(),
  approved: z.boolean(),
  reviewer: strOrNull,
  model: strOrNull,
  rubric: counts.describe('Rubric scores by dimension.'),
  concerns: z.array(z.string()),
  blockers: z.array(z.string()),
  detections: z.array(z.object({ category: z.string(), severity: strOrNull })).describe('Adversarial detections that fired.'),
});

const DecisionEventSchema = z.object({
  kind: z.literal('decision'),
  at: isoTime,
  line: lineRef,
  verdict: z.string().describe('Lower-case: approved, rejected, escalated, or what the writer wrote.'),
  reasoning: strOrNull,
  consensus: boolOrNull,
  runId: strOrNull,
  reviews: z.array(GateReviewSchema),
});

const ResolutionAttemptSchema = z.object({
  kind: z.literal('resolution_attempt'),
  at: isoTime,
  attempt: intOrNull,
  label: strOrNull,
  runId: strOrNull,
});

const ResolutionIncidentSchema = z.object({
  kind: z.literal('resolution_incident'),
  at: isoTime,
  attempt: intOrNull,
  state: strOrNull,
});

const ResolutionClosedSchema = z.object({
  kind: z.literal('resolution_closed'),
  at: isoTime,
  attempts: intOrNull,
  durationMs: numOrNull,
  runId: strOrNull,
});

export const TimelineEventSchema = z
  .discriminatedUnion('kind', [ExecutionEventSchema, DecisionEventSchema, ResolutionAttemptSchema, ResolutionIncidentSchema, ResolutionClosedSchema])
  .meta({ id: 'TimelineEvent', description: 'One event of a task: a log line (execution, decision) or a resolution-loop event.' });

export const TaskTotalsSchema = z
  .object({
    executions: z.number().int(),
    failedExecutions: z.number().int(),
    decisions: z.number().int(),
    rejections: z.number().int().describe('Decisions other than approved.'),
    attempts: z.number().int().describe('Resolution attempts: the loop\'s count when the resolution file has the task, else the attempts among its events.'),
    costUsd: num,
    inputTokens: num,
    outputTokens: num,
    firstEventAt: isoTime.nullable(),
    lastEventAt: isoTime.nullable(),
    doneAt: isoTime.nullable().describe('When the resolution loop closed; else, for a task the roadmap says is done, its last event.'),
    timeToDoneMs: numOrNull.describe('From the first event to doneAt; null while not done.'),
  })
  .meta({ id: 'TaskTotals', description: 'Sums over every event of the task (all pages).' });

export const TaskResolutionSchema = z
  .object({
    state: z.enum(['active', 'closed']),
    attempts: intOrNull,
    labels: z.array(z.string()),
    lastLabel: strOrNull,
    firstAttemptAt: isoTime.nullable(),
    lastAttemptAt: isoTime.nullable(),
    closedAt: isoTime.nullable(),
    durationMs: numOrNull,
    infiniteLoop: z.boolean().describe('The autopilot flagged the loop as infinite.'),
    runId: strOrNull,
  })
  .meta({ id: 'TaskResolution', description: "The task's resolution loop, from the resolution file (active, else the latest closure)." });

export const TimelineTaskSchema = z
  .object({
    title: z.string(),
    status: TaskStateSchema,
    epic: z.string(),
    milestone: strOrNull,
    domain: strOrNull,
    labels: z.array(z.string()),
  })
  .meta({ id: 'TimelineTask', description: 'The roadmap entry.' });

export const TaskTimelineSchema = z
  .object({
    id: z.string(),
    task: TimelineTaskSchema.nullable().describe('null for a task id seen only in the logs or the resolution file.'),
    resolution: TaskResolutionSchema.nullable(),
    totals: TaskTotalsSchema,
    total: z.number().int().describe('Events over all pages.'),
    partial: z.boolean().describe('The line index was full: some log lines may be missing.'),
    events: z.array(TimelineEventSchema).describe('In time order.'),
    next: z.string().optional().describe('Cursor of the next page; absent on the last page. Stays valid as lines are appended.'),
  })
  .meta({ id: 'TaskTimeline' });


export const TaskSummarySchema = z
  .object({
    id: z.string(),
    title: z.string(),
    status: TaskStateSchema,
    epic: z.string().describe('Epic id; `none` for a task outside any epic.'),
    milestone: strOrNull,
    domain: strOrNull,
    labels: z.array(z.string()),
    dependencies: z.array(z.string()).describe('Ids of the tasks this one depends on.'),
  })
  .meta({ id: 'TaskSummary' });

export const TaskListSchema = z
  .object({
    total: z.number().int().describe('Tasks matching the filters, over all pages.'),
    tasks: z.array(TaskSummarySchema),
    next: z.string().optional().describe('Cursor of the next page; absent on the last page.'),
  })
  .meta({ id: 'TaskList' });

const taskRef = z.object({
  id: z.string(),
  title: strOrNull.describe('null when the id names no task of the roadmap.'),
  status: TaskStateSchema.nullable().describe('null when the id names no task of the roadmap.'),
});

export const TaskDetailSchema = z
  .object({
    id: z.string(),
    title: z.string(),
    status: TaskStateSchema,
    domain: strOrNull,
    labels: z.array(z.string()),
    epic: z.object({ id: z.string(), title: strOrNull }),
    milestone: z.object({ id: z.string(), title: strOrNull }).nullable(),
    dependencies: z.array(taskRef),
    dependents: z.array(taskRef).describe('Tasks that list this one among their dependencies.'),
    totals: TaskTotalsSchema,
  })
  .meta({ id: 'TaskDetail' });

export type TaskSummary = z.output<typeof TaskSummarySchema>;
export type TaskList = z.output<typeof TaskListSchema>;
export type TaskDetail = z.output<typeof TaskDetailSchema>;

export type TimelineEvent = z.output<typeof TimelineEventSchema>;
export type TaskTotals = z.output<typeof TaskTotalsSchema>;
export type TaskResolution = z.output<typeof TaskResolutionSchema>;
export type TaskTimeline = z.output<typeof TaskTimelineSchema>;
