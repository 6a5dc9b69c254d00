// Optional htpasswd (bcrypt) access control with Basic auth, and optional anonymous
// reads. Verified credentials are remembered by a hash of the header, because
// bcrypt is deliberately slow and clients send the header on every request.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import bcrypt from 'bcryptjs';
import { RegistryError } from '../errors';

export class HtpasswdAuth {
  private readonly users = new Map<string, string>();
  private readonly verified = new Map<string, string>();

  constructor(
    htpasswdFile: string,
    readonly anonymousRead: boolean,
    readonly realm = 'mikrotik-kube registry',
  ) {
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

  private user(header: string | undefined): string | undefined {
    if (!header?.startsWith('Basic ')) return undefined;
    const key = createHash('sha256').update(header).digest('hex');
    const known = this.verified.get(key);
    if (known) return known;
    const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    const name = decoded.slice(0, colon);
    const hash = this.users.get(name);
    if (!hash || !bcrypt.compareSync(decoded.slice(colon + 1), hash)) return undefined;
    if (this.verified.size > 1000) this.verified.clear();
    this.verified.set(key, name);
    return name;
  }

  /**
   * Throws UNAUTHORIZED (with the challenge header set by the caller) unless the
   * request may proceed. `/v2/` always challenges anonymous callers, even with
   * anonymous reads: clients learn there that credentials exist and send them on pushes.
   */
  check(req: IncomingMessage, isBase: boolean): void {
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (this.user(req.headers.authorization)) return;
    if (read && this.anonymousRead && !isBase) return;
    throw new RegistryError('UNAUTHORIZED', 'authentication required');
  }

  challenge(): string {
    return `Basic realm="${this.realm}"`;
  }
}
