// Optional htpasswd (bcrypt) access control with Basic auth, and optional anonymous
// reads. bcrypt is deliberately slow, so it runs on a worker thread; a verified
// header is remembered for a short while (clients send it on every request), and a
// client that keeps sending wrong credentials is refused for a while without checking.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { RegistryError } from '../errors';
import { BcryptVerifier } from './bcrypt-worker';

export interface AuthLimits {
  /** How long a verified Authorization header is accepted without bcrypt. */
  cacheTtlMs: number;
  /** Wrong credentials a client may send per window before it gets 429. */
  maxFailures: number;
  failureWindowMs: number;
  /** bcrypt checks waiting for the worker beyond which new ones get 429. */
  maxQueued: number;
}

const defaultLimits: AuthLimits = { cacheTtlMs: 60_000, maxFailures: 5, failureWindowMs: 60_000, maxQueued: 64 };
const maxEntries = 10_000;

/** Drops expired entries once a map grows past its bound, so no client can grow it without limit. */
function prune<V extends { until: number }>(map: Map<string, V>, now: number): void {
  if (map.size < maxEntries) return;
  for (const [k, v] of map) if (v.until <= now) map.delete(k);
  if (map.size >= maxEntries) map.clear();
}

export class HtpasswdAuth {
  private readonly users = new Map<string, string>();
  private readonly verified = new Map<string, { name: string; until: number }>();
  private readonly failures = new Map<string, { count: number; until: number }>();
  private readonly inflight = new Map<string, Promise<string | undefined>>();
  private readonly bcrypt = new BcryptVerifier();
  private readonly limits: AuthLimits;

  constructor(
    htpasswdFile: string,
    readonly anonymousRead: boolean,
    readonly realm = 'mikrotik-kube registry',
    limits: Partial<AuthLimits> = {},
  ) {
    this.limits = { ...defaultLimits, ...limits };
    const text = readFileSync(htpasswdFile, 'utf8');
    for (const [i, raw] of text.split('\n').entries()) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const colon = line.indexOf(':');
      const hash = line.slice(colon + 1);
      if (colon <= 0 || !/^\$2[aby]?\$\d\d\$/.test(hash)) {
        throw new Error(`${htpasswdFile}:${i + 1}: only bcrypt entries (htpasswd -B) are supported`);
      }
      this.users.set(line.slice(0, colon), hash);
    }
  }

  private async user(header: string | undefined, client: string): Promise<string | undefined> {
    if (!header?.startsWith('Basic ')) return undefined;
    const key = createHash('sha256').update(header).digest('hex');
    const known = this.verified.get(key);
    if (known && known.until > Date.now()) return known.name;
    // Parallel requests with one header (a client pushing layers) share one check.
    let check = this.inflight.get(key);
    if (!check) {
      check = this.verify(key, header, client).finally(() => this.inflight.delete(key));
      this.inflight.set(key, check);
    }
    return check;
  }

  private async verify(key: string, header: string, client: string): Promise<string | undefined> {
    const now = Date.now();
    // An attempt counts as failed until bcrypt says otherwise, so concurrent guesses count too.
    let attempts = this.failures.get(client);
    if (!attempts || attempts.until <= now) {
      prune(this.failures, now);
      attempts = { count: 0, until: now + this.limits.failureWindowMs };
      this.failures.set(client, attempts);
    }
    if (attempts.count >= this.limits.maxFailures) throw new RegistryError('TOOMANYREQUESTS', 'too many failed logins, try again later');
    if (this.bcrypt.queued >= this.limits.maxQueued) throw new RegistryError('TOOMANYREQUESTS', 'too many logins at once, try again later');
    attempts.count++;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const name = colon < 0 ? '' : decoded.slice(0, colon);
    const hash = this.users.get(name);
    if (!hash || !(await this.bcrypt.compare(decoded.slice(colon + 1), hash))) return undefined;
    attempts.count--;
    prune(this.verified, now);
    this.verified.set(key, { name, until: Date.now() + this.limits.cacheTtlMs });
    return name;
  }

  /**
   * Throws UNAUTHORIZED (with the challenge header set by the caller) unless the
   * request may proceed. `/v2/` always challenges anonymous callers, even with
   * anonymous reads: clients learn there that credentials exist and send them on pushes.
   */
  async check(req: IncomingMessage, isBase: boolean): Promise<void> {
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (await this.user(req.headers.authorization, req.socket.remoteAddress ?? '')) return;
    if (read && this.anonymousRead && !isBase) return;
    throw new RegistryError('UNAUTHORIZED', 'authentication required');
  }

  challenge(): string {
    return `Basic realm="${this.realm}"`;
  }
}
