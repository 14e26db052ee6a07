import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** Verified credentials kept at most; beyond it the cache starts again (a few users is the use case). */
const MAX_CACHED = 1000;

/** The user and password of an `Authorization: Basic <base64>` header. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const b64 = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)\s*$/i)?.[1];
  if (!b64) return undefined;
  const text = Buffer.from(b64, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon < 0 ? undefined : { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

/**
 * Basic auth against bcrypt hashes (exporter-toolkit's basic_auth_users). bcrypt costs tens of
 * milliseconds by design, so a verified (user, password) is remembered under a keyed hash with a
 * per-process key: a scraper presenting the same credentials pays it once. Failures are never
 * remembered, and an unknown user still pays a bcrypt so timing does not tell users apart.
 */
export class BasicAuth {
  private readonly key = randomBytes(32);
  private readonly verified = new Set<string>();
  private readonly users: { name: Buffer; hash: string }[];
  /** Compared against for an unknown user: the same cost as a real check, its result ignored. */
  private readonly decoy: string;

  constructor(users: Readonly<Record<string, string>>) {
    this.users = Object.entries(users).map(([name, hash]) => ({ name: this.mac(name), hash }));
    this.decoy = Object.values(users)[0]!;
  }

  private mac(s: string): Buffer {
    return createHmac('sha256', this.key).update(s).digest();
  }

  /**
   * The cache key of a whole Authorization header: keyed SHA-256 (the per-process key first), so
   * memory never holds a password or a fast unkeyed hash of it. Hashing the raw header skips
   * base64 decoding on the hot path: a scraper sends the same bytes every time.
   */
  private cacheKey(header: string): string {
    return createHash('sha256').update(this.key).update(header).digest('base64');
  }

  /**
   * The header last accepted on each keep-alive connection: a scraper's next request on it is
   * accepted without even the hash. Only that connection's own client can match it, and it is
   * freed with the socket.
   */
  private readonly byConnection = new WeakMap<object, string>();

  /** True when this exact header was verified before (no bcrypt); false means "not known", not "wrong". */
  known(header: string | undefined, connection?: object): boolean {
    if (header === undefined) return false;
    if (connection !== undefined && this.byConnection.get(connection) === header) return true;
    const ok = this.verified.has(this.cacheKey(header));
    if (ok && connection !== undefined) this.byConnection.set(connection, header);
    return ok;
  }

  /** Whether the header carries a user and password that match; undefined when it carries no basic credentials. */
  async verify(header: string | undefined): Promise<boolean | undefined> {
    const c = basicCredentials(header);
    if (!c) return undefined;
    const key = this.cacheKey(header!);
    if (this.verified.has(key)) return true;
    // Compare against every user in constant time, so the position of a match leaks nothing.
    const presented = this.mac(c.user);
    let hash: string | undefined;
    for (const u of this.users) if (timingSafeEqual(u.name, presented)) hash = u.hash;
    const ok = await bcrypt.compare(c.password, hash ?? this.decoy);
    if (!ok || hash === undefined) return false;
    if (this.verified.size >= MAX_CACHED) this.verified.clear();
    this.verified.add(key);
    return true;
  }
}
