import { describe, expect, it } from 'vitest';
import { resources } from '../../src/sources/resources.js';

const sample = {
  timestamp: '2026-11-27T14:29:56.000Z',
  hostname: 'wvo-runner-02',
  memory_used_pct: 71.4,
  cpu_used_pct: 63.2,
  disk_used_pct: 58.7,
  memory_total_mb: 65536,
  load_average: [5.12, 4.87, 4.31],
  claude_processes: 6,
  node_processes: 14,
  throttle_level: 1,
  throttle_params: { level_name: 'light', max_concurrent_agents: 6, spawn_cooldown_ms: 15000, batch_size: 3, reason: 'memory_used_pct above 70' },
};

describe('resources source', () => {
  it('reads percentages, process counts and the throttle', () => {
    const v = resources.parse(JSON.stringify(sample, null, 2));
    expect(v).toEqual({
      timestamp: Date.parse('2026-11-27T14:29:56.000Z'),
      memory_used_pct: 71.4,
      cpu_used_pct: 63.2,
      disk_used_pct: 58.7,
      claude_processes: 6,
      node_processes: 14,
      throttle_level: 1,
      throttle_params: sample.throttle_params,
    });
  });

  it('rejects out-of-range, negative, infinite and string numbers per field', () => {
    const text = JSON.stringify({ ...sample, memory_used_pct: 150, cpu_used_pct: '63.2', disk_used_pct: -0.5, claude_processes: -1, throttle_level: 'high' }).replace(
      '"node_processes":14',
      '"node_processes":1e999',
    );
    const v = resources.parse(text);
    expect(v.memory_used_pct).toBeUndefined();
    expect(v.cpu_used_pct).toBeUndefined();
    expect(v.disk_used_pct).toBeUndefined();
    expect(v.claude_processes).toBeUndefined();
    expect(v.node_processes).toBeUndefined();
    expect(v.throttle_level).toBeUndefined();
    expect(v.timestamp).toBe(Date.parse(sample.timestamp));
    // 0 and 100 are valid percentages.
    const edge = resources.parse(JSON.stringify({ cpu_used_pct: 0, memory_used_pct: 100 }));
    expect(edge.cpu_used_pct).toBe(0);
    expect(edge.memory_used_pct).toBe(100);
  });

  it('drops throttle_params nested so deeply it could not be serialised again', () => {
    const depth = 100_000;
    const deep = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const v = resources.parse(`{"cpu_used_pct": 12, "throttle_params": ${deep}}`);
    expect(v.cpu_used_pct).toBe(12);
    expect(v.throttle_params).toBeUndefined();
    expect(() => JSON.stringify(v)).not.toThrow();
    // Modest nesting is kept.
    const ok = resources.parse('{"throttle_params": {"a": {"b": {"c": [1, {"d": 2}]}}}}');
    expect(ok.throttle_params).toEqual({ a: { b: { c: [1, { d: 2 }] } } });
  });

  it('ignores a throttle_params that is not an object, and an unparsable timestamp', () => {
    const v = resources.parse(JSON.stringify({ throttle_params: [1, 2], timestamp: 'yesterday', cpu_used_pct: 5 }));
    expect(v.throttle_params).toBeUndefined();
    expect(v.timestamp).toBeUndefined();
    expect(v.cpu_used_pct).toBe(5);
  });
});
