import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Config } from '../config.js';
import { BasicAuth } from './basic-auth.js';

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

/** The credentials a request may present: the bearer token, basic auth users, or both (either is enough). */
export class Authenticator {
  private readonly bearer?: (header: string | undefined) => boolean;
  private readonly tokenDigest?: Buffer;

  constructor(
    token: string | undefined,
    private basic: BasicAuth | undefined,
  ) {
    if (token) {
      this.bearer = authorizationMatches(token);
      this.tokenDigest = digest(token);
    }
  }

  static fromConfig(config: Config): Authenticator {
    const users = config.webConfig?.basicAuthUsers;
    return new Authenticator(config.token, users ? new BasicAuth(users) : undefined);
  }

  /**
   * New basic auth users (the web config file was edited). Credentials verified under the old
   * ones are forgotten. Basic auth can change users but not turn on or off without a restart.
   */
  replaceBasicUsers(users: Readonly<Record<string, string>>): void {
    if (!this.basic) throw new Error('basic auth was off at start');
    this.basic = new BasicAuth(users);
  }

  get enabled(): boolean {
    return this.bearer !== undefined || this.basic !== undefined;
  }

  /** Accepted without waiting: the right token, or basic credentials verified before. False means "ask check()". */
  quick(header: string | undefined, connection?: object): boolean {
    return !this.enabled || (this.bearer?.(header) ?? false) || (this.basic?.known(header, connection) ?? false);
  }

  /** The full check; queryToken is a bearer token passed in the URL (the stream route only). */
  async check(header: string | undefined, queryToken?: string): Promise<'ok' | 'missing' | 'invalid'> {
    if (this.quick(header)) return 'ok';
    const token = bearerToken(header) ?? queryToken;
    if (token !== undefined && this.tokenDigest) return timingSafeEqual(digest(token), this.tokenDigest) ? 'ok' : 'invalid';
    const basic = await this.basic?.verify(header);
    if (basic !== undefined) return basic ? 'ok' : 'invalid';
    return token !== undefined || header !== undefined ? 'invalid' : 'missing';
  }

  /** The WWW-Authenticate challenges for a 401. */
  challenges(result: 'missing' | 'invalid'): string[] {
    const out: string[] = [];
    if (this.basic) out.push('Basic realm="wvo-exporter", charset="UTF-8"');
    if (this.bearer) out.push(result === 'missing' ? 'Bearer realm="wvo-exporter"' : 'Bearer realm="wvo-exporter", error="invalid_token"');
    return out;
  }
}

/**
 * Express middleware: the bearer token (header, or ?access_token= where allowQueryToken says so,
 * because EventSource cannot send headers) or basic auth; 401 with the challenges otherwise.
 */
export function requireCredentials(auth: Authenticator, allowQueryToken: (path: string) => boolean): RequestHandler {
  return (req, res, next) => {
    const query = allowQueryToken(req.path) && typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    auth.check(req.headers.authorization, query).then((result) => {
      if (result === 'ok') return next();
      res.status(401).set('WWW-Authenticate', auth.challenges(result)).json({ error: 'unauthorized: valid credentials are required' });
    }, next);
  };
}
