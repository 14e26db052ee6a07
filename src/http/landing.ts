/** The page at `/`, as Prometheus exporters have: who this is, and links to everything it serves. */
import { OPENAPI_PATH } from './openapi.js';

export const DOCS_URL = 'https://github.com/wvo-exporter/wvo-exporter/tree/main/docs';

const escape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export interface LandingInfo {
  version: string;
  workspace: string;
  streamPath: string;
}

/** Plain HTML, no script and no style, so the strict `default-src 'none'` policy still holds. */
export function landingPage({ version, workspace, streamPath }: LandingInfo): string {
  const links: [string, string][] = [
    ['/metrics', 'Prometheus metrics'],
    ['/healthz', 'readiness'],
    [OPENAPI_PATH, 'OpenAPI document of the REST routes'],
    ['/api/tasks', 'every roadmap task (JSON)'],
    ['/api/metrics/tasks', 'task states and throughput (JSON)'],
    [streamPath, 'live Server-Sent-Events stream'],
    [DOCS_URL, 'documentation'],
  ];
  const items = links.map(([href, text]) => `      <li><a href="${escape(href)}">${escape(href === DOCS_URL ? 'docs' : href)}</a> — ${escape(text)}</li>`).join('\n');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <title>wvo-exporter · ${escape(workspace)}</title>
  </head>
  <body>
    <h1>wvo-exporter</h1>
    <p>Version <span id="version">${escape(version)}</span>, workspace <span id="workspace">${escape(workspace)}</span>.</p>
    <ul>
${items}
    </ul>
  </body>
</html>
`;
}
