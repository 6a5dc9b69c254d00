// Registry auth as clients do it: read the WWW-Authenticate challenge of a 401,
// then either send Basic credentials or fetch a Bearer token from the realm
// (service + scope, with Basic credentials when we have them) and cache it.

export interface Credentials {
  username: string;
  password: string;
}

export interface Challenge {
  scheme: 'bearer' | 'basic';
  params: Record<string, string>;
}

/** Parses `Bearer realm="…",service="…",scope="…"` (quoted or bare values, commas inside quotes). */
export function parseChallenge(header: string): Challenge | undefined {
  const m = /^\s*(\w+)\s*(.*)$/s.exec(header);
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  if (scheme !== 'bearer' && scheme !== 'basic') return undefined;
  const params: Record<string, string> = {};
  const re = /([a-zA-Z_]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*,?/g;
  let p: RegExpExecArray | null;
  while ((p = re.exec(m[2] as string))) {
    params[(p[1] as string).toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
  }
  return { scheme, params };
}

export function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Caches Bearer tokens per scope and remembers when a registry wants Basic. */
export class TokenCache {
  private readonly tokens = new Map<string, CachedToken>();
  private basic = false;

  constructor(
    private readonly credentials: Credentials | undefined,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  /** The Authorization header to send for `scope`, if any is known. */
  header(scope: string): string | undefined {
    if (this.basic && this.credentials) return basicHeader(this.credentials);
    const t = this.tokens.get(scope);
    if (t && t.expiresAt > Date.now()) return `Bearer ${t.token}`;
    return undefined;
  }

  /** Answers a 401's challenge; returns false when there is nothing more to try. */
  async answer(challengeHeader: string | null, scope: string): Promise<boolean> {
    const ch = challengeHeader ? parseChallenge(challengeHeader) : undefined;
    if (!ch) return false;
    if (ch.scheme === 'basic') {
      if (!this.credentials || this.basic) return false;
      this.basic = true;
      return true;
    }
    const realm = ch.params.realm;
    if (!realm) return false;
    const url = new URL(realm);
    if (ch.params.service) url.searchParams.set('service', ch.params.service);
    const wanted = ch.params.scope ?? scope;
    if (wanted) url.searchParams.set('scope', wanted);
    const headers: Record<string, string> = {};
    if (this.credentials) headers.authorization = basicHeader(this.credentials);
    const res = await this.fetchImpl(url, { headers });
    if (!res.ok) {
      throw new Error(`token request to ${url.origin}${url.pathname} failed: HTTP ${res.status} ${await res.text()}`);
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error(`token response from ${url.origin} has no token`);
    // Refresh a little early so a token does not expire in flight; the spec's default lifetime is 60 s.
    const lifetime = Math.max(10, (body.expires_in ?? 60) - 5) * 1000;
    this.tokens.set(scope, { token, expiresAt: Date.now() + lifetime });
    return true;
  }
}
