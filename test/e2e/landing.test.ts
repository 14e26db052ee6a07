/**
 * The landing page in a real browser: Debian's headless Chromium (driven by playwright-core)
 * loads `/`, follows every local link it shows and gets 200s; with basic auth on, `/` is 401
 * until the browser sends the credentials.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { chromium, type Browser } from 'playwright-core';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_PATH } from '../../src/http/app.js';
import { loadWebConfig } from '../../src/http/web-config.js';
import { EXPORTER_VERSION } from '../../src/version.js';
import { cleanup, cleanupSuite, startTestExporter, tempDir } from '../support/server.js';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
if (!available) console.warn(`SKIPPED: the browser tests need Chromium at ${CHROMIUM} (apt-get install chromium)`);

// Flags for a closed network: without the background-networking ones Chromium keeps dialling out.
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe.skipIf(!available && !process.env.CI)('landing page in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await cleanupSuite();
  });
  afterEach(cleanup);

  it('shows the name, version and workspace, and every local link answers 200', async () => {
    const t = await startTestExporter({ config: { workspaceName: 'weather-prod' } });
    const page = await browser.newPage();
    const res = await page.goto(`${t.url}/`);
    expect(res?.status()).toBe(200);
    expect(await page.title()).toBe('wvo-exporter · weather-prod');
    expect(await page.textContent('#version')).toBe(EXPORTER_VERSION);
    expect(await page.textContent('#workspace')).toBe('weather-prod');
    const hrefs = await page.$$eval('a', (as) => as.map((a) => a.getAttribute('href') ?? ''));
    const local = hrefs.filter((h) => h.startsWith('/'));
    expect(local).toEqual(expect.arrayContaining(['/metrics', '/healthz', '/api/openapi.json', '/api/tasks', STREAM_PATH]));
    expect(hrefs.some((h) => h.startsWith('https://github.com/') && h.endsWith('/docs'))).toBe(true);
    // Each link opened as a user would; the stream is an open response, so its status is read
    // once its headers arrive ('commit') rather than at a load that never comes.
    for (const href of local) {
      const linkPage = await browser.newPage();
      const opened = await linkPage.goto(`${t.url}${href}`, { waitUntil: href === STREAM_PATH ? 'commit' : 'load' });
      expect(opened?.status(), href).toBe(200);
      await linkPage.close();
    }
    await page.click('a[href="/metrics"]');
    expect(await page.textContent('body')).toContain('wvo_tasks');
    await page.close();
  }, 60_000);

  it('with basic auth on, / is 401 without credentials and 200 with them', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'web.yml');
    await fs.writeFile(file, stringify({ basic_auth_users: { viewer: bcrypt.hashSync('viewer-password', 4) } }));
    const t = await startTestExporter({ config: { webConfig: loadWebConfig(file) } });
    // Without credentials Chromium gets the 401 and its Basic challenge, then (headless, no one to
    // ask) abandons the navigation: read the answer itself.
    const anonymous = await browser.newContext();
    const blank = await anonymous.newPage();
    const [answer] = await Promise.all([blank.waitForResponse(`${t.url}/`), blank.goto(`${t.url}/`).catch(() => undefined)]);
    expect(answer.status()).toBe(401);
    expect(await answer.headerValue('www-authenticate')).toMatch(/^Basic realm="wvo-exporter"/);
    await anonymous.close();
    const signedIn = await browser.newContext({ httpCredentials: { username: 'viewer', password: 'viewer-password' } });
    const page = await signedIn.newPage();
    expect((await page.goto(`${t.url}/`))?.status()).toBe(200);
    expect((await page.goto(`${t.url}/metrics`))?.status()).toBe(200);
    await signedIn.close();
  }, 60_000);
});
