import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The token of an `Authorization: Bearer <token>` header. */
export const bearerToken = (header: string | undefined) => header?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];

/** A constant-time check of an Authorization header against the token. */
export function authorizationMatches(token: string): (header: string | undefined) => boolean {
  const expected = digest(token);
  return (header) => {
    const presented = bearerToken(header);
    return presented !== undefined && timingSafeEqual(digest(presented), expected);
  };
}

/**
 * Bearer-token check in constant time (both sides hashed to equal length first). The stream
 * route may pass the token as ?access_token= because EventSource cannot send headers.
 */
export function bearerAuth(token: string, allowQueryToken: (path: string) => boolean): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    let presented = bearerToken(req.headers.authorization);
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
