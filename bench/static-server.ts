// Child process: the physical limit. A bare node:http server answering each route with fixed
// bytes and the headers the exporter sent, in its own process (own event loop) like the exporter.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StaticRoute {
  headers: Record<string, string>;
  bodyFile: string;
}

const manifest = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Record<string, StaticRoute>;
const routes = new Map(
  Object.entries(manifest).map(([p, r]) => {
    const body = readFileSync(r.bodyFile);
    return [p, { headers: { ...r.headers, 'content-length': String(body.length) }, body }];
  }),
);

const server = http.createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
  const route = routes.get(req.url ?? '');
  if (!route) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, route.headers);
  res.end(route.body);
});
server.listen(0, '127.0.0.1', () => process.send!({ port: (server.address() as AddressInfo).port }));
process.on('disconnect', () => process.exit(0));
