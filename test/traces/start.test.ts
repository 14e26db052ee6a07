/** The deferred trace SDK: what the Collector hands over before it is loaded is held, then sent. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/logger.js';
import { taskEventOf } from '../../src/tasks/events.js';
import { tracesSettings } from '../../src/traces/settings.js';
import { createTraces } from '../../src/traces/start.js';
import { startOtlpReceiver } from '../support/otlp-receiver.js';
import { cleanup, eventually } from '../support/server.js';

afterEach(async () => {
  await cleanup();
  vi.unstubAllEnvs();
});

describe('createTraces', () => {
  it('holds the task events that arrive before load(), then sends them; counts read 0 until then', async () => {
    const rx = await startOtlpReceiver();
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', `${rx.url}/v1/traces`);
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '20');
    const settings = tracesSettings(process.env, { workspaceRoot: '/nonexistent', tracesStateFile: undefined })!;
    const traces = createTraces(settings, 'ws-start', silentLogger);
    expect(traces.from).toBe('start');
    const event = taskEventOf('executions', { type: 'execution_summary', task_id: 'T-1', timestamp: 1_790_000_000_000, agent_type: 'codex' })!;
    traces.onTaskEvents({ events: [{ ...event, ref: { source: 'executions', fileKey: '1:2', path: 'x', offset: 0, length: 10 } }], positions: { '1:2': 10 } });
    expect(traces.stats).toEqual({ exported: 0, dropped: { queue_full: 0, export_failed: 0 } });
    await traces.load();
    await eventually(() => expect(rx.spans.map((s) => s.attributes['wvo.task.id'])).toEqual(['T-1']));
    await eventually(() => expect(traces.stats.exported).toBe(1));
    await traces.shutdown();
  });
});
