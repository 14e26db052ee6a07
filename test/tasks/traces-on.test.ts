import { describe, expect, it } from 'vitest';
import { tracesOn } from '../../src/tasks/traces-on.js';

describe('tracesOn', () => {
  it('is on when a traces or a general OTLP endpoint is set, unless OTEL_TRACES_EXPORTER is none', () => {
    expect(tracesOn({})).toBe(false);
    expect(tracesOn({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracesOn({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracesOn({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
    expect(tracesOn({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })).toBe(false);
    expect(tracesOn({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://x:4318', OTEL_TRACES_EXPORTER: 'otlp' })).toBe(true);
    // Only the metrics endpoint: metrics are pushed, traces are not.
    expect(tracesOn({ OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://127.0.0.1:4318/v1/metrics' })).toBe(false);
  });
});
