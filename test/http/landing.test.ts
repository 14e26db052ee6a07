/** The landing page at `/`: HTML naming the exporter, its version and workspace, linking every route; behind the same auth. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { stringify } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { STREAM_PATH } from '../../src/http/app.js';
import { landingPage } from '../../src/http/landing.js';
import { loadWebConfig } from '../../src/http/web-config.js';
import { EXPORTER_VERSION } from '../../src/version.js';
import { basic } from '../support/https.js';
import { cleanup, cleanupSuite, request, startTestExporter, tempDir } from '../support/server.js';

afterEach(cleanup);
afterAll(cleanupSuite);

const TOKEN = 'landing-token-0123456789';
const localLinks = (html: string) => [...html.matchAll(/href="(\/[^"]*)"/g)].map((m) => m[1]!);

describe('GET /', () => {
  it('is an HTML page with the version, the workspace name and links that all answer 200', async () => {
    const t = await startTestExporter({ config: { workspaceName: 'weather-prod' } });
    const res = await request(`${t.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html; charset=utf-8/);
    expect(res.headers['content-security-policy']).toContain("default-src 'none'");
    expect(res.body).toContain(`<span id="version">${EXPORTER_VERSION}</span>`);
    expect(res.body).toContain('<span id="workspace">weather-prod</span>');
    const links = localLinks(res.body);
    expect(links).toEqual(expect.arrayContaining(['/metrics', '/healthz', '/api/openapi.json', '/api/tasks', STREAM_PATH]));
    for (const link of links.filter((l) => l !== STREAM_PATH)) expect((await request(`${t.url}${link}`)).status, link).toBe(200);
    expect((await request(`${t.url}${STREAM_PATH}`, { method: 'HEAD' })).status).toBe(200);
  });

  it('escapes the workspace name', () => {
    const html = landingPage({ version: '1.0.0', workspace: '<script>alert("x")</script>', streamPath: STREAM_PATH });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });

  it('needs the bearer token when one is set; /healthz stays open', async () => {
    const t = await startTestExporter({ config: { token: TOKEN } });
    expect((await request(`${t.url}/`)).status).toBe(401);
    expect((await request(`${t.url}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await request(`${t.url}/healthz`)).status).toBe(200);
  });

  it('with basic auth on, answers 401 with a Basic challenge without credentials and 200 with them', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'web.yml');
    await fs.writeFile(file, stringify({ basic_auth_users: { viewer: bcrypt.hashSync('viewer-password', 4) } }));
    const t = await startTestExporter({ config: { webConfig: loadWebConfig(file) } });
    const none = await request(`${t.url}/`);
    expect(none.status).toBe(401);
    expect(String(none.headers['www-authenticate'])).toMatch(/Basic realm="wvo-exporter"/);
    expect((await request(`${t.url}/`, { headers: basic('viewer', 'wrong') })).status).toBe(401);
    const ok = await request(`${t.url}/`, { headers: basic('viewer', 'viewer-password') });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('<h1>wvo-exporter</h1>');
  });

  it('leaves other unknown paths a 404 JSON', async () => {
    const t = await startTestExporter();
    const res = await request(`${t.url}/index.html`);
    expect(res.status).toBe(404);
    expect(JSON.parse(res.body).error).toMatch(/not found/);
  });
});
