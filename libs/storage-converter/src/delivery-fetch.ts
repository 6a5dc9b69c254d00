// Delivery by /tool/fetch: the converter hands the router a URL per tarball and asks it to
// download it. The URL carries a signed token (fetch-token.ts) bound to one cached tarball and
// an expiry, so any replica behind the fetch address can serve it: from its own cache when it
// holds that file, else by relaying from the issuing replica the token names. Each replica
// serves a token once. Nothing else is reachable on this listener.
import { createReadStream } from 'node:fs';
import { createServer, get, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { ProgressFn } from './converter';
import { throttle } from './converter';
import type { Deliverer } from './delivery';
import { unavailable } from './errors';
import type { FetchSigner } from './fetch-token';
import { findRouterFile } from './router-files';

/** Set on a relayed request, so it is never relayed again. */
const RELAYED = 'x-mk-fetch-relayed';

export interface FetchServerOptions {
  host: string;
  port: number;
  /** Base URL the router uses to reach this listener; default http://host:port. */
  publicUrl?: string;
  /** Where other replicas reach this one directly (its pod address); '' = nobody relays to us. */
  peerUrl?: string;
  tokenTtlMs: number;
  signer: FetchSigner;
  /** This replica's copy of a cached tarball, if it has one. */
  local(file: string): { path: string; size: number } | undefined;
}

export class FetchServer {
  private server: Server | undefined;
  /** Tokens this replica served or revoked → their expiry (then they die anyway). */
  private readonly used = new Map<string, number>();
  /** Progress callbacks of the tokens this replica issued. */
  private readonly issued = new Map<string, (n: number) => void>();
  private base = '';
  /** Requests refused (bad, used or expired token, no such file), for tests and metrics. */
  refused = 0;

  constructor(private readonly o: FetchServerOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.listen(this.o.port, this.o.host);
    await new Promise<void>((resolve, reject) => {
      this.server?.once('listening', resolve).once('error', reject);
    });
    const port = (this.server.address() as AddressInfo).port;
    this.base = (this.o.publicUrl ?? `http://${this.o.host}:${port}`).replace(/\/+$/, '');
    return this.base;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const now = Date.now();
    for (const [t, exp] of this.used) if (exp < now) this.used.delete(t);
    const m = /^\/deliver\/([A-Za-z0-9_.-]{1,1600})(?:\/[^/]*)?$/.exec(req.url ?? '');
    const token = m?.[1] ?? '';
    const grant = token ? this.o.signer.verify(token, now) : undefined;
    const refuse = () => {
      this.refused++;
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    };
    if (!grant || this.used.has(token) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      // A refused method burns the token too.
      if (grant) this.used.set(token, grant.expires);
      return refuse();
    }
    const mine = this.o.local(grant.file);
    const here = mine?.size === grant.size ? mine : undefined;
    const relay = !here && grant.origin && grant.origin !== (this.o.peerUrl ?? '') && !req.headers[RELAYED];
    if (!here && !relay) return refuse();
    if (req.method === 'GET') this.used.set(token, grant.expires);
    if (relay) return void this.relay(grant.origin, req, res);
    res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': String(grant.size) });
    if (req.method === 'HEAD' || !here) return void res.end();
    const onBytes = this.issued.get(token) ?? (() => undefined);
    let sent = 0;
    const file = createReadStream(here.path);
    file.on('data', (c) => onBytes((sent += c.length)));
    file.on('error', () => res.destroy());
    file.pipe(res);
  }

  /** Streams the download from the issuing replica, which checks the token again. */
  private relay(origin: string, req: IncomingMessage, res: ServerResponse): void {
    const up = get(`${origin.replace(/\/+$/, '')}${req.url ?? ''}`, { method: req.method, headers: { [RELAYED]: '1' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? 'text/plain', ...(r.headers['content-length'] ? { 'content-length': r.headers['content-length'] } : {}) });
      r.pipe(res);
    });
    up.on('error', () => (res.headersSent ? res.destroy() : res.writeHead(502, { 'content-type': 'text/plain' }).end('issuing replica unreachable\n')));
    res.on('close', () => up.destroy());
  }

  /** A URL for one download of cached tarball `file` within the TTL, from any replica sharing the key. */
  offer(file: string, size: number, onBytes: (n: number) => void, fileName = 'image.tar'): { url: string; revoke(): void } {
    const expires = Date.now() + this.o.tokenTtlMs;
    const token = this.o.signer.sign({ file, size, expires, origin: this.o.peerUrl ?? '' });
    this.issued.set(token, onBytes);
    return {
      url: `${this.base}/deliver/${token}/${encodeURIComponent(fileName)}`,
      revoke: () => {
        this.issued.delete(token);
        this.used.set(token, expires);
      },
    };
  }

  /** Tokens issued here and not yet revoked. */
  get pending(): number {
    return this.issued.size;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

export class FetchDeliverer implements Deliverer {
  readonly mode = 'fetch' as const;
  constructor(
    private readonly router: RouterOsClient,
    private readonly server: FetchServer,
    private readonly timeoutMs: number,
  ) {}

  async deliver(localPath: string, size: number, routerFile: string, progress: ProgressFn): Promise<void> {
    const report = throttle((n) => progress({ phase: 'deliver', bytesDone: n, bytesTotal: size, message: `router fetching ${routerFile}` }));
    const name = basename(localPath);
    const offer = this.server.offer(name, size, report, routerFile.split('/').pop());
    try {
      await this.router.fetch.download({ url: offer.url, dstPath: routerFile }, { timeoutMs: this.timeoutMs });
    } catch (e) {
      throw unavailable(`router could not fetch ${routerFile}: ${(e as Error).message}`);
    } finally {
      offer.revoke();
    }
    const f = await findRouterFile(this.router, routerFile);
    if (!f || f.size !== size) throw unavailable(`router has ${routerFile} with ${f?.size ?? 0} bytes after fetch, expected ${size}`);
    progress({ phase: 'deliver', bytesDone: size, bytesTotal: size, message: `delivered ${routerFile}` });
  }
}
