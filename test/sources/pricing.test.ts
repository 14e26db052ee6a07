/** WVO_PRICING_FILE: YAML or JSON, validated; a bad file stops start-up with exit 2 naming the file and the entry. */
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { priceFor } from '../../src/sources/pricing.js';
import { configError, configFile } from '../support/config-files.js';
import { cleanup, ensureBuilt, REPO_ROOT, spawnCli } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
afterEach(cleanup);

describe('WVO_PRICING_FILE', () => {
  it('reads YAML and JSON into the same prices, models falling back to their provider', async () => {
    const yaml = await configFile(
      'pricing.yaml',
      ['# USD per 1K tokens', 'providers:', '  claude:', '    per_1k_tokens: 0.015', '    input_per_1k_tokens: 0.003', '    output_per_1k_tokens: 0.015', '    models:', '      claude-haiku-4-5: { per_1k_tokens: 0.001 }', '      claude-opus-4-1: { output_per_1k_tokens: 0.075 }', ''].join('\n'),
    );
    const json = await configFile(
      'pricing.json',
      JSON.stringify({
        providers: {
          claude: {
            per_1k_tokens: 0.015,
            input_per_1k_tokens: 0.003,
            output_per_1k_tokens: 0.015,
            models: { 'claude-haiku-4-5': { per_1k_tokens: 0.001 }, 'claude-opus-4-1': { output_per_1k_tokens: 0.075 } },
          },
        },
      }),
    );
    const a = loadConfig({ WVO_PRICING_FILE: yaml }).pricing;
    expect(a).toEqual(loadConfig({ WVO_PRICING_FILE: json }).pricing);
    expect(priceFor(a, 0.5, 'claude')).toEqual({ per1k: 0.015, input: 0.003, output: 0.015 });
    // a model's single price is its input and output price too
    expect(priceFor(a, 0.5, 'claude', 'claude-haiku-4-5')).toEqual({ per1k: 0.001, input: 0.001, output: 0.001 });
    expect(priceFor(a, 0.5, 'claude', 'claude-opus-4-1')).toEqual({ per1k: 0.015, input: 0.003, output: 0.075 });
    expect(priceFor(a, 0.5, 'claude', 'not-listed')).toEqual({ per1k: 0.015, input: 0.003, output: 0.015 });
    // a provider the file does not list, and no file at all: WVO_COST_PER_1K_TOKENS
    expect(priceFor(a, 0.5, 'gemini')).toEqual({ per1k: 0.5, input: 0.5, output: 0.5 });
    expect(loadConfig({}).pricing).toBeUndefined();
  });

  it.each([
    ['a negative price', 'providers:\n  claude:\n    per_1k_tokens: -1\n', 'providers.claude.per_1k_tokens'],
    ['a string price', 'providers:\n  codex:\n    per_1k_tokens: "cheap"\n', 'providers.codex.per_1k_tokens'],
    ['a missing provider price', 'providers:\n  codex:\n    input_per_1k_tokens: 0.1\n', 'providers.codex.per_1k_tokens'],
    ['a misspelt key', 'providers:\n  codex:\n    per_1k_tokens: 0.1\n    models:\n      gpt-5: { per_1k_token: 0.2 }\n', 'providers.codex.models.gpt-5'],
    ['an empty model', 'providers:\n  codex:\n    per_1k_tokens: 0.1\n    models:\n      gpt-5: {}\n', 'providers.codex.models.gpt-5'],
    ['no providers', 'prices: {}\n', 'entry providers'],
  ])('rejects %s, naming the file and the entry', async (_what, text, entry) => {
    const f = await configFile('pricing.yaml', text);
    const err = configError({ WVO_PRICING_FILE: f });
    expect(err.variable).toBe('WVO_PRICING_FILE');
    expect(err.message).toContain(f);
    expect(err.message).toContain(entry);
  });

  it('accepts the example in deploy/pricing', () => {
    const example = path.join(REPO_ROOT, 'deploy/pricing/pricing.example.yaml');
    const pricing = loadConfig({ WVO_PRICING_FILE: example }).pricing!;
    expect(priceFor(pricing, 0, 'codex', 'gpt-5-codex')).toEqual({ per1k: 0.01, input: 0.00125, output: 0.01 });
  });

  it('rejects a file that is missing or not valid YAML/JSON', async () => {
    expect(configError({ WVO_PRICING_FILE: '/nonexistent/pricing.yaml' }).message).toContain('cannot read');
    const bad = await configFile('pricing.json', '{"providers": {');
    expect(configError({ WVO_PRICING_FILE: bad }).message).toContain('not valid JSON');
  });

  it('stops the CLI with exit 2 and a message naming the file and the entry', async () => {
    await ensureBuilt();
    const f = await configFile('pricing.yaml', 'providers:\n  claude:\n    per_1k_tokens: free\n');
    const cli = spawnCli({ WVO_PRICING_FILE: f });
    expect((await cli.exited).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toContain('WVO_PRICING_FILE');
    expect(cli.stderr()).toContain(f);
    expect(cli.stderr()).toContain('providers.claude.per_1k_tokens');
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });
});
