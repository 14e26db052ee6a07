import { gzip } from 'node:zlib';

/**
 * Whether an Accept-Encoding header admits gzip (Prometheus always sends `gzip`). `gzip;q=0`
 * refuses it; `*` admits it unless gzip is refused by name.
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  let star = false;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const admitted = q === undefined || Number(q.slice(2)) > 0;
    if (name === 'gzip' || name === 'x-gzip') return admitted;
    if (name === '*') star = admitted;
  }
  return star;
}

/**
 * The gzip of a rendered /metrics body, made once per rendering (renderings are reused between
 * scrapes): compression costs less than the bytes it saves, TLS encryption included.
 */
const cache = new WeakMap<Buffer, Promise<Buffer>>();
export function gzipped(body: Buffer): Promise<Buffer> {
  let p = cache.get(body);
  if (!p) {
    p = new Promise((resolve, reject) => gzip(body, { level: 6 }, (err, out) => (err ? reject(err) : resolve(out))));
    cache.set(body, p);
  }
  return p;
}
