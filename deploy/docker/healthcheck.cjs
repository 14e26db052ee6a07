// Docker HEALTHCHECK for wvo-exporter: GET /healthz with node itself (the
// slim runtime image has neither curl nor wget). Exit 0 = healthy, 1 = not.
// Sends the bearer token when one is configured, in case /healthz is behind
// the same auth as the other routes.
'use strict';
const fs = require('node:fs');

const port = process.env.WVO_OBSERVABILITY_PORT || '3030';
let token = (process.env.WVO_OBSERVABILITY_TOKEN || '').trim();
const tokenFile = process.env.WVO_OBSERVABILITY_TOKEN_FILE;
if (!token && tokenFile) {
  try {
    token = fs.readFileSync(tokenFile, 'utf8').trim();
  } catch {
    // unreadable token file: probe without it
  }
}
const headers = token ? { authorization: `Bearer ${token}` } : {};

fetch(`http://127.0.0.1:${port}/healthz`, { headers, signal: AbortSignal.timeout(4000) })
  .then((res) => process.exit(res.ok ? 0 : 1))
  .catch(() => process.exit(1));
