import { executions } from './executions.js';
import { health } from './health.js';
import { mcpPid } from './mcp-pid.js';
import { metricsSummary } from './metrics-summary.js';
import { modelRouter } from './model-router.js';
import { orchestration } from './orchestration.js';
import { providerCapacity } from './provider-capacity.js';
import { qualityDecisions } from './quality-decisions.js';
import { resolution } from './resolution.js';
import { resources } from './resources.js';
import { roadmap } from './roadmap.js';
import type { SourceValue } from './source.js';
import { usage } from './usage.js';

/** Every state source, in SPEC §2 order. Adding a source is one module and one line here. */
export const sources = [
  health,
  orchestration,
  qualityDecisions,
  resolution,
  resources,
  providerCapacity,
  usage,
  executions,
  metricsSummary,
  roadmap,
  mcpPid,
  modelRouter,
] as const;

export type AnySource = (typeof sources)[number];
export type SourceId = AnySource['id'];
export type SourceValues = { [S in AnySource as S['id']]: SourceValue<S> };

export const SOURCE_IDS = sources.map((s) => s.id) as SourceId[];
