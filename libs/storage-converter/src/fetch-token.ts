// Self-verifying fetch tokens: everything a replica needs to serve a download is in the URL,
// signed (HMAC-SHA256) with the key every replica shares, so whichever replica the router's
// request reaches can check it with no state shared between replicas. A token names one cached
// tarball (its content-addressed file name and size), its expiry, and where the issuing replica
// can be reached directly (for a replica that does not hold the file); nothing else.
import { createHmac, timingSafeEqual } from 'node:crypto';

export interface FetchGrant {
  /** The file's name where the issuer keeps it (a cached tarball: `<manifest hex>-<arch>.tar`). */
  file: string;
  size: number;
  /** Epoch ms after which the token is refused. */
  expires: number;
  /** The issuer's own fetch URL ('' = none: only a replica holding the file serves it). */
  origin: string;
}

// A plain file name (the issuer's local() lookup decides what it is): never a path.
const FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const TOKEN = /^([A-Za-z0-9_-]{1,1500})\.([A-Za-z0-9_-]{43})$/;
export const MIN_KEY_BYTES = 32;

export class FetchSigner {
  constructor(private readonly key: Buffer) {
    if (key.length < MIN_KEY_BYTES) throw new Error(`the fetch signing key needs at least ${MIN_KEY_BYTES} bytes, got ${key.length}`);
  }

  sign(g: FetchGrant): string {
    const payload = Buffer.from(JSON.stringify([g.file, g.size, g.expires, g.origin])).toString('base64url');
    return `${payload}.${this.mac(payload)}`;
  }

  /** The grant, if the token is ours, intact and not expired; else undefined. */
  verify(token: string, now = Date.now()): FetchGrant | undefined {
    const m = TOKEN.exec(token);
    if (!m) return undefined;
    const [, payload = '', mac = ''] = m;
    const want = Buffer.from(this.mac(payload));
    if (!timingSafeEqual(want, Buffer.from(mac))) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(Buffer.from(payload, 'base64url').toString());
    } catch {
      return undefined;
    }
    if (!Array.isArray(v) || v.length !== 4) return undefined;
    const [file, size, expires, origin] = v as unknown[];
    if (typeof file !== 'string' || !FILE.test(file) || !Number.isSafeInteger(size) || typeof expires !== 'number' || typeof origin !== 'string') return undefined;
    if (expires < now) return undefined;
    return { file, size: size as number, expires, origin };
  }

  private mac(payload: string): string {
    return createHmac('sha256', this.key).update(payload).digest('base64url');
  }
}
