/** The CSV exports over HTTP: RFC 4180 quoting, formula neutralising, headers, parsed back and compared with the fixture. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cleanupSuite, knownFixture, parseCsv, request, startTestExporter, suiteScoped, T0, type TestExporter } from '../support/server.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

/** SPEC §4: a field starting with =, +, - or @ is prefixed with '. */
const neutralise = (s: string) => (/^[=+\-@]/.test(s) ? `'${s}` : s);

const awkward = [
  { taskId: 'plain-id', attempts: 2, lastLabel: 'tests_failed', elapsedMs: 1500, firstAttemptAt: T0 - 5000, lastAttemptAt: new Date(T0).toISOString() },
  { taskId: 'has,comma', attempts: 1, lastLabel: 'label, with comma', elapsedMs: 0, firstAttemptAt: new Date(T0 - 1).toISOString() },
  { taskId: 'has "quotes" inside', attempts: 3, lastLabel: '"quoted"', elapsedMs: 42 },
  { taskId: 'multi\nline', attempts: 4, lastLabel: 'cr\r\nlf', elapsedMs: 7 },
  { taskId: '=HYPERLINK("http://x","y")', attempts: 5, lastLabel: '+cmd|calc', elapsedMs: 9 },
  { taskId: '+1', attempts: 6, lastLabel: '-2', elapsedMs: 10 },
  { taskId: '@SUM(A1)', attempts: 7, lastLabel: '=1+1', elapsedMs: 11 },
  { taskId: '-=,"x"', attempts: 8, lastLabel: 'plain', elapsedMs: 12 },
];

const iso = (v: number | string | undefined) => (v === undefined ? '' : new Date(v).toISOString());

let t: TestExporter;
const f = knownFixture();
beforeAll(async () => {
  t = await suiteScoped(() =>
    startTestExporter({
      files: { ...f.files, 'state/analytics/resolution_metrics.json': { ...f.resolution, activeLoops: awkward } },
    }),
  );
});
afterAll(cleanupSuite);

describe('GET /api/metrics/export/resolution', () => {
  it('is an RFC 4180 attachment whose rows parse back to the active loops, formulas neutralised', async () => {
    const res = await request(`${t.url}/api/metrics/export/resolution`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment(;|$)/);
    expect(res.headers['content-disposition']).toMatch(/filename="?[^"]+\.csv"?/);
    expect(res.headers['cache-control']).toBe('no-store');

    const rows = parseCsv(res.body);
    expect(rows[0]).toEqual(['task_id', 'attempts', 'last_label', 'elapsed_ms', 'first_attempt_at', 'last_attempt_at']);
    expect(rows.slice(1)).toEqual(
      awkward.map((l) => [
        neutralise(l.taskId),
        String(l.attempts),
        neutralise(l.lastLabel),
        String(l.elapsedMs),
        iso(l.firstAttemptAt),
        iso((l as { lastAttemptAt?: string }).lastAttemptAt),
      ]),
    );
  });

  it('quotes exactly the fields that need it and doubles their quotes', async () => {
    const body = (await request(`${t.url}/api/metrics/export/resolution`)).body;
    expect(body).toContain('\r\n"has,comma",1,"label, with comma",0,');
    expect(body).toContain('\r\n"has ""quotes"" inside",3,"""quoted""",42,,\r\n');
    expect(body).toContain('\r\n"multi\nline",4,"cr\r\nlf",7,,\r\n');
    expect(body).toContain(`\r\n"'=HYPERLINK(""http://x"",""y"")",5,'+cmd|calc,9,,\r\n`);
    expect(body).toContain(`\r\n'+1,6,'-2,10,,\r\n`);
    expect(body).toContain(`\r\n"'-=,""x""",8,plain,12,,\r\n`);
    // no line of the body starts a cell with a formula character
    for (const row of parseCsv(body)) for (const cell of row) expect(cell).not.toMatch(/^[=+\-@]/);
  });

  it('is the header alone when there are no active loops', async () => {
    const other = await startTestExporter({ files: {} });
    try {
      const res = await request(`${other.url}/api/metrics/export/resolution`);
      expect(res.status).toBe(200);
      expect(res.body).toBe('task_id,attempts,last_label,elapsed_ms,first_attempt_at,last_attempt_at\r\n');
    } finally {
      await other.stop();
    }
  });
});

describe('GET /api/metrics/export/tasks', () => {
  it('is state,count for the five states, with the counts of the newest health snapshot', async () => {
    const res = await request(`${t.url}/api/metrics/export/tasks`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment(;|$)/);
    const l = f.latest;
    expect(res.body).toBe(
      `state,count\r\npending,${l.pendingCount}\r\nready,${l.readyCount}\r\nin_progress,${l.inProgressCount}\r\nblocked,${l.blockedCount}\r\ndone,${l.doneCount}\r\n`,
    );
    expect(parseCsv(res.body)).toHaveLength(6);
  });
});
