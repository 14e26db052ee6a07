/**
 * WVO_BUDGETS_FILE: YAML or JSON, validated at start (exit 2 naming the file and every bad entry),
 * exported as wvo_budget_usd / wvo_objective_ratio, and re-read when it changes: a broken rewrite
 * keeps the last good budgets.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultConfig, loadConfig } from '../../src/config.js';
import { loadBudgets } from '../../src/sources/budgets.js';
import { configError, configFile } from '../support/config-files.js';
import { cleanup, ensureBuilt, eventually, REPO_ROOT, sampleValue, scrape, sleep, spawnCli, startTestExporter } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 240_000 });
afterEach(cleanup);

const ISSUE_EXAMPLE = `budgets:
  - {period: day, usd: 40}
  - {period: month, usd: 600}
  - {period: day, usd: 15, model: gpt-5-codex}   # scope: model or provider, optional
objectives:
  - {name: execution_success, target: 0.95}      # window: 28d unless given
  - {name: loops_closed_within_3, target: 0.9, window: 7d}
  - {name: gate_approval, target: 0.8}
`;

describe('WVO_BUDGETS_FILE', () => {
  it('reads the YAML of the issue and its JSON twin into the same budgets, windows defaulting to 28d', async () => {
    const yaml = loadConfig({ WVO_BUDGETS_FILE: await configFile('budgets.yaml', ISSUE_EXAMPLE) }).budgets!;
    const json = loadConfig({
      WVO_BUDGETS_FILE: await configFile(
        'budgets.json',
        JSON.stringify({
          budgets: [{ period: 'day', usd: 40 }, { period: 'month', usd: 600 }, { period: 'day', usd: 15, model: 'gpt-5-codex' }],
          objectives: [{ name: 'execution_success', target: 0.95 }, { name: 'loops_closed_within_3', target: 0.9, window: '7d' }, { name: 'gate_approval', target: 0.8 }],
        }),
      ),
    }).budgets!;
    expect(yaml.budgets).toEqual(json.budgets);
    expect(yaml.budgets.objectives.map((o) => o.window)).toEqual(['28d', '7d', '28d']);
    expect(path.isAbsolute(yaml.file)).toBe(true);
    expect(loadConfig({}).budgets).toBeUndefined();
  });

  it('accepts a file with only budgets, only objectives, or nothing in it', async () => {
    expect(loadBudgets(await configFile('b.yaml', 'budgets:\n  - {period: week, usd: 100, provider: claude}\n')).objectives).toEqual([]);
    expect(loadBudgets(await configFile('b.yaml', 'objectives:\n  - {name: gate_approval, target: 0.5}\n')).budgets).toEqual([]);
    expect(loadBudgets(await configFile('b.json', '{}'))).toEqual({ budgets: [], objectives: [] });
  });

  it('accepts the sample workspace\'s state/budgets.yaml', () => {
    const { budgets } = loadConfig({ WVO_BUDGETS_FILE: path.join(REPO_ROOT, 'state/budgets.yaml') }).budgets!;
    expect(budgets.budgets.length).toBeGreaterThan(0);
    expect(budgets.objectives.map((o) => o.name).sort()).toEqual(['execution_success', 'gate_approval', 'loops_closed_within_3']);
  });

  it.each([
    ['an unknown period', 'budgets:\n  - {period: year, usd: 40}\n', 'entry budgets.0.period'],
    ['a budget of 0', 'budgets:\n  - {period: day, usd: 0}\n', 'entry budgets.0.usd'],
    ['a budget as text', 'budgets:\n  - {period: day, usd: "40$"}\n', 'entry budgets.0.usd'],
    ['a misspelt key', 'budgets:\n  - {period: day, usd: 4}\n  - {period: day, usd: 40, modle: gpt-5}\n', 'entry budgets.1'],
    ['a model and a provider', 'budgets:\n  - {period: day, usd: 40, model: gpt-5, provider: codex}\n', 'entry budgets.0: a budget is for a model or a provider'],
    ['the same period and scope twice', 'budgets:\n  - {period: day, usd: 40}\n  - {period: day, usd: 50}\n', 'entry budgets.1: a second day budget for all'],
    ['an unknown objective', 'objectives:\n  - {name: uptime, target: 0.9}\n', 'entry objectives.0.name'],
    ['a target of 1 (no error budget)', 'objectives:\n  - {name: gate_approval, target: 1}\n', 'entry objectives.0.target'],
    ['a target in percent', 'objectives:\n  - {name: gate_approval, target: 95}\n', 'entry objectives.0.target'],
    ['a window the rules do not compute', 'objectives:\n  - {name: gate_approval, target: 0.9, window: 5d}\n', 'entry objectives.0.window'],
    ['an objective twice', 'objectives:\n  - {name: gate_approval, target: 0.9}\n  - {name: gate_approval, target: 0.8, window: 7d}\n', 'entry objectives.1: a second objective gate_approval'],
    ['budgets that are not a list', 'budgets: {day: 40}\n', 'entry budgets'],
    ['an unknown top-level key', 'budget:\n  - {period: day, usd: 40}\n', 'entry (root)'],
  ])('rejects %s, naming the file and the entry', async (_what, text, entry) => {
    const f = await configFile('budgets.yaml', text);
    const err = configError({ WVO_BUDGETS_FILE: f });
    expect(err.variable).toBe('WVO_BUDGETS_FILE');
    expect(err.message).toContain(f);
    expect(err.message).toContain(entry);
  });

  it('names every bad entry of a file, not only the first', async () => {
    const f = await configFile('budgets.yaml', 'budgets:\n  - {period: day, usd: -1}\n  - {period: day, usd: 5}\n  - {period: fortnight, usd: 5}\nobjectives:\n  - {name: gate_approval, target: 2}\n');
    const { message } = configError({ WVO_BUDGETS_FILE: f });
    for (const entry of ['budgets.0.usd', 'budgets.2.period', 'objectives.0.target']) expect(message).toContain(`entry ${entry}`);
  });

  it('rejects a file that is missing, empty or not valid YAML/JSON', async () => {
    expect(configError({ WVO_BUDGETS_FILE: '/nonexistent/budgets.yaml' }).message).toContain('cannot read');
    expect(configError({ WVO_BUDGETS_FILE: await configFile('budgets.json', '{"budgets": [') }).message).toContain('not valid JSON');
    expect(configError({ WVO_BUDGETS_FILE: await configFile('budgets.yaml', 'budgets: [\n') }).message).toContain('not valid YAML');
    expect(configError({ WVO_BUDGETS_FILE: await configFile('budgets.yaml', '') }).message).toContain('empty file');
  });

  it('stops the CLI with exit 2 and a message naming the file and the entry', async () => {
    await ensureBuilt();
    const f = await configFile('budgets.yaml', 'budgets:\n  - {period: day, usd: lots}\n');
    const cli = spawnCli({ WVO_BUDGETS_FILE: f });
    expect((await cli.exited).code, cli.stderr()).toBe(2);
    expect(cli.stderr()).toContain('WVO_BUDGETS_FILE');
    expect(cli.stderr()).toContain(f);
    expect(cli.stderr()).toContain('budgets.0.usd');
    expect(cli.stderr()).not.toMatch(/\n\s+at /);
  });
});

describe('wvo_budget_usd and wvo_objective_ratio', () => {
  async function exporterWith(text: string) {
    const f = await configFile('budgets.yaml', text);
    const config = defaultConfig({ budgets: loadConfig({ WVO_BUDGETS_FILE: f }).budgets });
    return { file: f, ex: await startTestExporter({ config }) };
  }

  it('exports one series per budget and objective, with the scope and window labels', async () => {
    const { ex } = await exporterWith(ISSUE_EXAMPLE);
    const samples = await scrape(ex.url);
    const budgets = samples.filter((s) => s.name === 'wvo_budget_usd');
    expect(budgets.map((s) => [s.labels, s.value])).toEqual([
      [{ period: 'day', scope: 'all' }, 40],
      [{ period: 'month', scope: 'all' }, 600],
      [{ period: 'day', scope: 'model:gpt-5-codex' }, 15],
    ]);
    expect(sampleValue(samples, 'wvo_objective_ratio', { objective: 'execution_success', window: '28d' })).toBe(0.95);
    expect(sampleValue(samples, 'wvo_objective_ratio', { objective: 'loops_closed_within_3', window: '7d' })).toBe(0.9);
    expect(sampleValue(samples, 'wvo_objective_ratio', { objective: 'gate_approval', window: '28d' })).toBe(0.8);
  });

  it('exports neither without a budgets file', async () => {
    const ex = await startTestExporter();
    const samples = await scrape(ex.url);
    expect(samples.filter((s) => s.name === 'wvo_budget_usd' || s.name === 'wvo_objective_ratio')).toEqual([]);
  });

  it('follows a rewrite of the file, and keeps the last good budgets through a broken rewrite or a deletion', async () => {
    const { file: f, ex } = await exporterWith('budgets:\n  - {period: day, usd: 40}\n');
    const day = async () => sampleValue(await scrape(ex.url), 'wvo_budget_usd', { period: 'day', scope: 'all' });
    expect(await day()).toBe(40);

    await writeFile(f, 'budgets:\n  - {period: day, usd: 25}\n  - {period: week, usd: 150, provider: codex}\nobjectives:\n  - {name: gate_approval, target: 0.7}\n');
    await eventually(async () => expect(await day()).toBe(25), { timeoutMs: 10_000 });
    let samples = await scrape(ex.url);
    expect(sampleValue(samples, 'wvo_budget_usd', { period: 'week', scope: 'provider:codex' })).toBe(150);
    expect(sampleValue(samples, 'wvo_objective_ratio', { objective: 'gate_approval', window: '28d' })).toBe(0.7);

    // half-written, then invalid, then gone: the exporter keeps serving the last good file
    for (const broken of ['budgets:\n  - {period: day, us', 'budgets:\n  - {period: day, usd: -5}\n']) {
      await writeFile(f, broken);
      await sleep(2500); // more than two polls of the file
      expect(await day()).toBe(25);
    }
    await rm(f);
    await sleep(2500);
    samples = await scrape(ex.url);
    expect(sampleValue(samples, 'wvo_budget_usd', { period: 'day', scope: 'all' })).toBe(25);
    expect(sampleValue(samples, 'wvo_budget_usd', { period: 'week', scope: 'provider:codex' })).toBe(150);

    // and picks up a good file again
    await writeFile(f, 'budgets:\n  - {period: day, usd: 60}\n');
    await eventually(async () => expect(await day()).toBe(60), { timeoutMs: 10_000 });
    expect(sampleValue(await scrape(ex.url), 'wvo_budget_usd', { period: 'week', scope: 'provider:codex' })).toBeUndefined();
  });
});
