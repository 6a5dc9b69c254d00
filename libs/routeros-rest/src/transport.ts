// HTTP to the router's `/rest`: Basic auth, keep-alive agents, TLS verification on by default
// with an optional CA, per-call timeouts (capped below the router's 60 s cut-off), retries
// only for idempotent calls, and every failure mapped to a RouterOsError.
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import got, { type Got, type Method } from 'got';
import { backoffMs } from '@mikrotik-kube/service-kit';
import { RouterOsError, kindForStatus, kindForTransport } from './errors';
import { parseRouterJson } from './json';

export interface TransportOptions {
  /** Base URL up to and including `/rest`, e.g. `https://192.168.88.1/rest`. */
  url: string;
  username: string;
  password: string;
  /** PEM CA bundle trusted for the router's certificate (self-signed is normal). */
  ca?: string | Buffer;
  /** Turns certificate verification off; only by explicit choice. */
  insecureSkipVerify?: boolean;
  /** Default per-call timeout (ms); default 30 s. */
  timeoutMs?: number;
  /** Attempts for idempotent calls (GET, DELETE by id); default 3. */
  maxAttempts?: number;
  /** First retry delay (ms), doubled per attempt; default 200. */
  retryDelayMs?: number;
  /** Concurrent sockets; the router serialises a user's requests anyway. Default 4. */
  maxSockets?: number;
}

export interface CallOptions {
  timeoutMs?: number;
}

/** The router ends any request at 60 s with `Session closed`; waiting longer is pointless. */
const ROUTER_LIMIT_MS = 60_000;
const MARGIN_MS = 5_000;

export class Transport {
  private readonly got: Got;
  private readonly agents: { http: HttpAgent; https: HttpsAgent };
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;

  constructor(readonly options: TransportOptions) {
    const base = options.url.replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+\/rest$/.test(base)) throw new Error(`RouterOS URL must end with /rest: ${options.url}`);
    this.agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 4 }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets ?? 4 }),
    };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.retryDelayMs = options.retryDelayMs ?? 200;
    this.got = got.extend({
      prefixUrl: `${base}/`,
      username: options.username,
      password: options.password,
      agent: this.agents,
      https: { certificateAuthority: options.ca, rejectUnauthorized: options.insecureSkipVerify !== true },
      retry: { limit: 0 },
      throwHttpErrors: false,
      responseType: 'text',
      followRedirect: false,
      headers: { accept: 'application/json' },
    });
  }

  /** One call; `path` is relative to `/rest` and already encoded (see `encodePath`). */
  async request(method: Method, path: string, body?: unknown, opts: CallOptions = {}): Promise<unknown> {
    const idempotent = method === 'GET' || (method === 'DELETE' && /\/\*[0-9A-F]+$/.test(path));
    const attempts = idempotent ? this.maxAttempts : 1;
    let last: RouterOsError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await this.once(method, path, body, opts);
      } catch (e) {
        if (!(e instanceof RouterOsError)) throw e;
        // A DELETE whose first try may have landed: 404 on the retry means it is gone.
        if (method === 'DELETE' && attempt > 1 && e.kind === 'not-found') return undefined;
        last = e;
        if (!e.retryable || attempt === attempts) throw e;
        await new Promise((r) => setTimeout(r, backoffMs(attempt, { initialMs: this.retryDelayMs })));
      }
    }
    throw last;
  }

  private async once(method: Method, path: string, body: unknown, opts: CallOptions): Promise<unknown> {
    const timeout = Math.min(opts.timeoutMs ?? this.timeoutMs, ROUTER_LIMIT_MS + MARGIN_MS);
    let res;
    try {
      res = await this.got(path, {
        method,
        json: body,
        timeout: { request: timeout },
      });
    } catch (e) {
      const err = e as { code?: string; name?: string };
      throw new RouterOsError({ kind: kindForTransport(err.code, err.name), method, path, cause: e });
    }
    const text = res.body;
    let parsed: unknown;
    if (text.length > 0) {
      try {
        parsed = parseRouterJson(text);
      } catch (e) {
        // 403 from a disabled REST service is an HTML page, not JSON.
        if (res.statusCode >= 400) throw new RouterOsError({ kind: kindForStatus(res.statusCode, undefined), method, path, status: res.statusCode, cause: e });
        throw new RouterOsError({ kind: 'protocol', method, path, status: res.statusCode, detail: 'reply is not JSON', cause: e });
      }
    }
    if (res.statusCode >= 400) {
      const detail = typeof parsed === 'object' && parsed !== null ? (parsed as { detail?: unknown }).detail : undefined;
      const d = typeof detail === 'string' ? detail : undefined;
      throw new RouterOsError({ kind: kindForStatus(res.statusCode, d), method, path, status: res.statusCode, detail: d });
    }
    return parsed;
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/**
 * Encodes a menu path plus an optional item reference. `*` stays raw (RouterOS does not decode
 * `%2A`); everything else in a name is percent-encoded, so `disk1/a.tar` becomes `disk1%2Fa.tar`.
 */
export function encodePath(menu: string, ref?: string): string {
  const m = menu.replace(/^\/+|\/+$/g, '');
  if (!/^[a-z0-9-]+(\/[a-z0-9-]+)*$/.test(m)) throw new Error(`invalid RouterOS menu path: ${menu}`);
  if (ref === undefined) return m;
  if (ref === '') throw new Error('empty RouterOS item reference');
  return `${m}/${encodeURIComponent(ref)}`;
}
