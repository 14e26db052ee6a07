/**
 * The REST views against the payload schemas the OpenAPI document is rendered from: at compile
 * time (each view's return type must fit its schema's type; `npm test` type-checks the tests)
 * and at run time on the known fixture (zod parses each view's answer).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { Collector } from '../../src/collector/collector.js';
import type { Snapshot } from '../../src/collector/snapshot.js';
import { silentLogger } from '../../src/logger.js';
import * as p from '../../src/views/payloads.js';
import { qualityView, resolutionView, resourcesView, tasksView, usageView } from '../../src/views/rest.js';
import { cleanup, createWorkspace, knownFixture } from '../support/server.js';

type View<S extends z.ZodType> = (s: Snapshot) => z.input<S>;

const options = { costPer1kTokens: 0.015 };
const views = {
  // Run time only: the view builds `drilldown` with Object.fromEntries, typed as a string-keyed record.
  tasks: [tasksView, p.TasksMetricsSchema],
  quality: [qualityView satisfies View<typeof p.QualityGatesSchema>, p.QualityGatesSchema],
  resolution: [resolutionView satisfies View<typeof p.ResolutionSchema>, p.ResolutionSchema],
  resources: [((s: Snapshot) => resourcesView(s, options)) satisfies View<typeof p.ResourcesSchema>, p.ResourcesSchema],
  usage: [usageView satisfies View<typeof p.UsageSchema>, p.UsageSchema],
} as const;

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
  await cleanup();
});

describe('payload schemas', () => {
  it.each(Object.keys(views))('%s: the view of the known fixture parses with its schema, with no field to spare', async (name) => {
    const ws = await createWorkspace(knownFixture().files);
    collector = new Collector({ workspaceRoot: ws.root, logger: silentLogger, maxLineBytes: 1 << 20, pollIntervalMs: 3_600_000, watch: false });
    const s = await collector.refresh();
    const [view, schema] = views[name as keyof typeof views];
    const answer = JSON.parse(JSON.stringify(view(s)));
    expect((schema as z.ZodType).parse(answer)).toEqual(answer);
  });
});
