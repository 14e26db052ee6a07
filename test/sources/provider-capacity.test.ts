import { describe, expect, it } from 'vitest';
import { providerCapacity } from '../../src/sources/provider-capacity.js';

const provider = (name: string, over: Record<string, unknown> = {}) => ({
  provider: name,
  totalLimitHits: 7,
  totalRecoveries: 7,
  totalFailovers: 4,
  averageDowntimeMs: 412000,
  longestDowntimeMs: 1380000,
  shortestDowntimeMs: 61000,
  currentStatus: 'healthy',
  lastLimitHitAt: '2026-11-27T06:41:12.004Z',
  ...over,
});

describe('provider_capacity source', () => {
  it('reads every provider with its counters, downtimes and status', () => {
    const v = providerCapacity.parse(
      JSON.stringify({
        lastUpdated: '2026-11-27T14:29:15.000Z',
        providers: [provider('claude'), provider('codex', { totalLimitHits: 3, currentStatus: 'degraded' }), provider('gemini', { currentStatus: 'down' })],
      }),
    );
    expect(v.lastUpdated).toBe(Date.parse('2026-11-27T14:29:15.000Z'));
    expect(v.providers.map((p) => [p.provider, p.totalLimitHits, p.currentStatus])).toEqual([
      ['claude', 7, 'healthy'],
      ['codex', 3, 'degraded'],
      ['gemini', 7, 'down'],
    ]);
    expect(v.providers[0]).toEqual({
      provider: 'claude',
      totalLimitHits: 7,
      totalRecoveries: 7,
      totalFailovers: 4,
      averageDowntimeMs: 412000,
      longestDowntimeMs: 1380000,
      shortestDowntimeMs: 61000,
      currentStatus: 'healthy',
    });
  });

  it('drops providers without a name and bad numbers per field', () => {
    const text = JSON.stringify({
      providers: [
        provider('', {}),
        { totalLimitHits: 1 },
        null,
        provider('claude', { totalLimitHits: -7, totalRecoveries: '7', averageDowntimeMs: null, currentStatus: 3, longestDowntimeMs: 1234567 }),
      ],
    }).replace('"longestDowntimeMs":1234567', '"longestDowntimeMs":-1e999');
    const v = providerCapacity.parse(text);
    expect(v.providers).toHaveLength(1);
    const p = v.providers[0]!;
    expect(p.provider).toBe('claude');
    expect(p.totalLimitHits).toBeUndefined();
    expect(p.totalRecoveries).toBeUndefined();
    expect(p.averageDowntimeMs).toBeUndefined();
    expect(p.longestDowntimeMs).toBeUndefined();
    expect(p.currentStatus).toBeUndefined();
    expect(p.totalFailovers).toBe(4);
  });

  it('reads a missing providers list as empty and throws on a non-object document', () => {
    expect(providerCapacity.parse('{}').providers).toEqual([]);
    expect(providerCapacity.parse('{"providers": "x"}').providers).toEqual([]);
    expect(() => providerCapacity.parse('"providers"')).toThrow(Error);
  });
});
