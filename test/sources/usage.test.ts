import { describe, expect, it } from 'vitest';
import { usage } from '../../src/sources/usage.js';

const entry = (provider: string, account: string, over: Record<string, unknown> = {}) => ({
  provider,
  account,
  tier: 'max_20x',
  limits: { hourly_requests: 900, daily_requests: 12000, hourly_tokens: 400000, daily_tokens: 5000000 },
  usage: {
    current_hour: { requests: 212, tokens: 338400, reset_at: '2026-11-27T15:00:00.000Z' },
    current_day: { requests: 2874, tokens: 1284500, reset_at: '2026-11-28T00:00:00.000Z' },
  },
  warnings: { approaching_hourly_limit: true, approaching_daily_limit: false, percentage_used: 84.6 },
  last_request_at: '2026-11-27T14:29:24.064Z',
  ...over,
});

describe('usage source', () => {
  it('reads each <provider>:<account> entry with its windows, limits and percentage', () => {
    const v = usage.parse(
      JSON.stringify({ last_saved: '2026-11-27T14:29:48.000Z', providers: { 'claude:primary': entry('claude', 'primary') } }, null, 2),
    );
    expect(v.lastSaved).toBe(Date.parse('2026-11-27T14:29:48.000Z'));
    expect(v.providers).toEqual([
      {
        id: 'claude:primary',
        provider: 'claude',
        account: 'primary',
        tier: 'max_20x',
        hourlyRequests: 212,
        hourlyTokens: 338400,
        dailyRequests: 2874,
        dailyTokens: 1284500,
        limits: { hourlyRequests: 900, dailyRequests: 12000, hourlyTokens: 400000, dailyTokens: 5000000 },
        percentageUsed: 84.6,
      },
    ]);
  });

  it('derives provider and account from the key when the entry does not name them', () => {
    const bare = { usage: { current_hour: { tokens: 5 } } };
    const v = usage.parse(
      JSON.stringify({
        providers: {
          'codex:ci': bare,
          gemini: bare,
          'claude:team:b': bare,
          'named:key': { ...bare, provider: 'other', account: 'acct' },
        },
      }),
    );
    expect(v.providers.map((p) => [p.id, p.provider, p.account])).toEqual([
      ['codex:ci', 'codex', 'ci'],
      ['gemini', 'gemini', 'default'],
      ['claude:team:b', 'claude', 'team:b'],
      ['named:key', 'other', 'acct'],
    ]);
    expect(v.providers.every((p) => p.hourlyTokens === 5 && p.dailyTokens === undefined)).toBe(true);
  });

  it('rejects bad numbers per field and skips entries that are not objects', () => {
    const text = JSON.stringify({
      providers: {
        'claude:primary': entry('claude', 'primary', {
          limits: { hourly_requests: -900, daily_requests: '12000', hourly_tokens: null, daily_tokens: 5000000 },
          usage: { current_hour: { requests: 1.5, tokens: 'many' }, current_day: 'later' },
          warnings: { percentage_used: 184.6 },
        }),
        'codex:x': null,
        'gemini:y': 'nope',
        'qwen:z': [1, 2],
      },
    }).replace('"requests":1.5', '"requests":1e999');
    const v = usage.parse(text);
    expect(v.providers).toHaveLength(1);
    const p = v.providers[0]!;
    expect(p.limits).toEqual({ hourlyRequests: undefined, dailyRequests: undefined, hourlyTokens: undefined, dailyTokens: 5000000 });
    expect(p.hourlyRequests).toBeUndefined();
    expect(p.hourlyTokens).toBeUndefined();
    expect(p.dailyRequests).toBeUndefined();
    expect(p.dailyTokens).toBeUndefined();
    expect(p.percentageUsed).toBeUndefined();
    expect(p.tier).toBe('max_20x');
  });

  it('reads a document without providers as no providers', () => {
    expect(usage.parse('{"last_saved": 5}')).toEqual({ lastSaved: 5, providers: [] });
    expect(usage.parse('{"providers": [1,2]}').providers).toEqual([]);
  });
});
