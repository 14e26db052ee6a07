import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Bearer-token check in constant time (both sides hashed to equal length first). The stream
 * route may pass the token as ?access_token= because EventSource cannot send headers.
 */
export function bearerAuth(token: string, allowQueryToken: (path: string) => boolean): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const header = req.headers.authorization;
    let presented = header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    if (presented === undefined && allowQueryToken(req.path) && typeof req.query.access_token === 'string') {
      presented = req.query.access_token;
    }
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return next();
    res
      .status(401)
      .set('WWW-Authenticate', presented === undefined ? 'Bearer realm="wvo-exporter"' : 'Bearer realm="wvo-exporter", error="invalid_token"')
      .json({ error: 'unauthorized: a valid bearer token is required' });
  };
}
