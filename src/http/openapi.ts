/**
 * The OpenAPI 3.1 document of every route, served at /api/openapi.json. Payload schemas come from
 * the zod definitions in views/payloads.ts, query parameters from the zod query schemas and the
 * CSV columns from the export declarations, so the document is rendered from what the code uses.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { CSV_EXPORTS } from '../views/csv.js';
import * as payloads from '../views/payloads.js';
import { EXPORT_PREFIX, notModified, TASKS_PATH, type Handler } from './drilldown.js';
import { DEFAULT_LIMIT, DEFAULT_TIMELINE_LIMIT, MAX_LIMIT, MAX_TIMELINE_LIMIT, TaskExportQuery, TaskListQuery, TimelineQuery } from './task-query.js';

type Json = Record<string, unknown>;

const COMPONENTS = '#/components/schemas/';
const ref = (schema: z.ZodType) => ({ $ref: `${COMPONENTS}${z.globalRegistry.get(schema)!.id}` });

function componentSchemas(): Json {
  // Every payload schema carrying an id (from .meta) becomes a component of that name.
  const registry = z.registry<{ id: string }>();
  for (const value of Object.values(payloads)) {
    const id = value instanceof z.ZodType ? z.globalRegistry.get(value)?.id : undefined;
    if (id) registry.add(value as z.ZodType, { id });
  }
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', uri: (id) => `${COMPONENTS}${id}` });
  // Each component is a subschema of this document: no $schema or $id of its own.
  return Object.fromEntries(Object.entries(schemas).map(([id, { $schema: _s, $id: _i, ...rest }]) => [id, rest]));
}

const error = (description: string) => ({ description, content: { 'application/json': { schema: ref(payloads.ErrorSchema) } } });
const json = (description: string, schema: z.ZodType | Json, headers?: Json) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: schema instanceof z.ZodType ? ref(schema) : schema } },
});
const API_ERRORS = {
  '401': error('A bearer token is configured and the request has none or another.'),
  '429': error('Rate limit exceeded (WVO_RATE_LIMIT_PER_MIN).'),
  '503': error('Starting: the first collection has not finished (Retry-After: 1).'),
};
const ETAG = { ETag: { description: 'The roadmap content version.', schema: { type: 'string' } } };
const CONTENT_ETAG = { ETag: { description: "The answer's content version: it changes when any of the task's events or totals does.", schema: { type: 'string' } } };
const ID_PARAMETER = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const NOT_MODIFIED = { '304': { description: 'If-None-Match named the current ETag.', headers: ETAG } };

// What the query string means where the zod input (always text) says less.
const PARAMETER_SCHEMAS: Record<string, Json> = {
  label: { type: 'array', items: { type: 'string' } },
  limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
};

function queryParameters(schema: z.ZodObject, overrides: Record<string, Json> = {}): Json[] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const { $schema: _s, description, ...rest } = z.toJSONSchema(field as z.ZodType, { io: 'input', target: 'draft-2020-12' });
    return {
      name,
      in: 'query',
      required: false,
      description,
      ...(name === 'label' ? { style: 'form', explode: true } : {}),
      schema: overrides[name] ?? PARAMETER_SCHEMAS[name] ?? rest,
    };
  });
}

const get = (summary: string, responses: Json, extra: Json = {}) => ({ get: { summary, ...extra, responses } });

function jsonView(summary: string, schema: z.ZodType) {
  return get(summary, { '200': json(summary, schema), ...API_ERRORS });
}

function exportPaths(): Json {
  const paths: Json = {};
  for (const e of CSV_EXPORTS.values()) {
    const responses: Json = {
      '200': {
        description: `${e.description} Columns: ${e.headers.join(', ')}.`,
        headers: {
          'Content-Disposition': {
            description: `attachment; filename="wvo-${e.name}-YYYY-MM-DD.csv" (the UTC day of the export)`,
            schema: { type: 'string' },
          },
        },
        content: { 'text/csv': { schema: { type: 'string' } } },
      },
      ...(e.filtered ? { '400': error('A bad filter parameter, named in `parameter`.') } : {}),
      ...API_ERRORS,
    };
    paths[`${EXPORT_PREFIX}${e.name}`] = get(`CSV: ${e.description}`, responses, e.filtered ? { parameters: queryParameters(TaskExportQuery) } : {});
  }
  return paths;
}

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'wvo-exporter',
      version,
      description: "Metrics, REST, SSE and CSV views of an AI-agent autopilot's state files. JSON routes answer with Cache-Control: no-store, except the ETag'd task routes (no-cache).",
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{}, { bearer: [] }],
    paths: {
      '/': get('Landing page: name, version, workspace and links to every route', {
        '200': { description: 'An HTML page for a browser.', content: { 'text/html': { schema: { type: 'string' } } } },
        '401': API_ERRORS['401'],
      }),
      '/healthz': get(
        'Readiness',
        {
          '200': json('Ready: the first collection has finished.', payloads.HealthzSchema),
          '503': json('Starting.', payloads.HealthzSchema),
        },
        { security: [{}] },
      ),
      '/metrics': get('Prometheus exposition', {
        '200': {
          description: 'Prometheus text format, or OpenMetrics when Accept asks for it.',
          content: { 'text/plain': { schema: { type: 'string' } }, 'application/openmetrics-text': { schema: { type: 'string' } } },
        },
        '401': API_ERRORS['401'],
      }),
      '/api/metrics/tasks': jsonView('Task states, throughput and rates, with the first 20 tasks per state', payloads.TasksMetricsSchema),
      '/api/metrics/quality_gates': jsonView('Quality-gate decisions', payloads.QualityGatesSchema),
      '/api/metrics/resolution': jsonView('Resolution loops (the resolution file)', payloads.ResolutionSchema),
      '/api/metrics/resources': jsonView('Host, processes, throttle, providers and cost', payloads.ResourcesSchema),
      '/api/metrics/usage': jsonView('Provider usage', payloads.UsageSchema),
      '/api/metrics/health': jsonView("The autopilot's active anomalies and recent remediations", payloads.AutopilotHealthSchema),
      '/api/metrics/stream': get(
        'Server-sent events',
        {
          '200': {
            description:
              'text/event-stream: one event at connect, then one per interval and per change; `id` is the snapshot version, `data` a StreamEvent (JSON). Comment heartbeats keep proxies open.',
            content: { 'text/event-stream': { schema: { type: 'string' }, 'x-event-data': ref(payloads.StreamEventSchema) } },
          },
          ...API_ERRORS,
        },
        {
          parameters: [
            { name: 'access_token', in: 'query', required: false, description: 'The bearer token (EventSource cannot send headers).', schema: { type: 'string' } },
            { name: 'Last-Event-ID', in: 'header', required: false, description: 'Sent by reconnecting clients.', schema: { type: 'string' } },
          ],
        },
      ),
      ...exportPaths(),
      [TASKS_PATH]: get(
        'Every roadmap task, filtered, sorted and paginated',
        {
          '200': json('One page.', payloads.TaskListSchema, ETAG),
          ...NOT_MODIFIED,
          '400': error('A bad parameter, named in `parameter` (also a cursor issued for other filters).'),
          '410': error('The roadmap changed since the cursor was issued: start again without it.'),
          ...API_ERRORS,
        },
        { parameters: queryParameters(TaskListQuery) },
      ),
      [`${TASKS_PATH}/{id}`]: get(
        "One task with its epic and milestone titles, dependencies and dependents, and its timeline's totals",
        {
          '200': json('The task.', payloads.TaskDetailSchema, CONTENT_ETAG),
          ...NOT_MODIFIED,
          '404': error('No task with this id in the roadmap.'),
          ...API_ERRORS,
        },
        { parameters: [ID_PARAMETER] },
      ),
      [`${TASKS_PATH}/{id}/timeline`]: get(
        "Every event of a task in time order — executions and quality-gate decisions (rotated archives included), its resolution loop — with its roadmap entry and totals, paginated",
        {
          '200': json('One page of events; the task, resolution and totals cover all pages.', payloads.TaskTimelineSchema, CONTENT_ETAG),
          ...NOT_MODIFIED,
          '400': error('A bad parameter, named in `parameter` (also a cursor issued for another task).'),
          '404': error('No task with this id in the roadmap, the logs or the resolution file.'),
          ...API_ERRORS,
        },
        { parameters: [ID_PARAMETER, ...queryParameters(TimelineQuery, { limit: { type: 'integer', minimum: 1, maximum: MAX_TIMELINE_LIMIT, default: DEFAULT_TIMELINE_LIMIT } })] },
      ),
      [OPENAPI_PATH]: get('This document', { '200': json('OpenAPI 3.1.', { type: 'object' }), ...API_ERRORS }),
    },
    components: {
      schemas: componentSchemas(),
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'When WVO_OBSERVABILITY_TOKEN(_FILE) is set.' } },
    },
  };
}

export const OPENAPI_PATH = '/api/openapi.json';

let rendered: { body: string; etag: string } | undefined;

/** Serves the document, rendered once, with its ETag. */
export const openApiHandler: Handler = (req, res) => {
  if (!rendered) {
    const body = JSON.stringify(openApiDocument());
    rendered = { body, etag: createHash('sha256').update(body).digest('base64url').slice(0, 22) };
  }
  if (!notModified(req, res, rendered.etag)) res.type('application/json').send(rendered.body);
};
