// Delivery by /tool/fetch: the converter serves each tarball under a one-time URL — a
// random token in the path, bound to one file, valid until first use or expiry — and asks
// the router to download it. Nothing else is reachable on this listener.
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { ProgressFn } from './converter';
import { throttle } from './converter';
import type { Deliverer } from './delivery';
import { unavailable } from './errors';
import { findRouterFile } from './router-files';

interface Offer {
  path: string;
  size: number;
  expires: number;
  onBytes: (n: number) => void;
}

export interface FetchServerOptions {
  host: string;
  port: number;
  /** Base URL the router uses to reach this listener; default http://host:port. */
  publicUrl?: string;
  tokenTtlMs: number;
}

export class FetchServer {
  private server: Server | undefined;
  private readonly offers = new Map<string, Offer>();
  private base = '';
  /** Requests refused (unknown, used or expired token), for tests and metrics. */
  refused = 0;

  constructor(private readonly o: FetchServerOptions) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const m = /^\/deliver\/([a-f0-9]{64})(?:\/[^/]*)?$/.exec(req.url ?? '');
      const offer = m ? this.offers.get(m[1] as string) : undefined;
      if (!m || !offer || offer.expires < Date.now() || (req.method !== 'GET' && req.method !== 'HEAD')) {
        if (m) this.offers.delete(m[1] as string);
        this.refused++;
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-tar', 'content-length': String(offer.size) });
      if (req.method === 'HEAD') return void res.end();
      // One use: the token dies as the download starts.
      this.offers.delete(m[1] as string);
      let sent = 0;
      const file = createReadStream(offer.path);
      file.on('data', (c) => offer.onBytes((sent += c.length)));
      file.on('error', () => res.destroy());
      file.pipe(res);
    });
    this.server.listen(this.o.port, this.o.host);
    await new Promise<void>((resolve, reject) => {
      this.server?.once('listening', resolve).once('error', reject);
    });
    const port = (this.server.address() as AddressInfo).port;
    this.base = (this.o.publicUrl ?? `http://${this.o.host}:${port}`).replace(/\/+$/, '');
    return this.base;
  }

  /** A URL valid for one download of `path` within the TTL. */
  offer(path: string, size: number, onBytes: (n: number) => void, fileName = 'image.tar'): { url: string; revoke(): void } {
    const now = Date.now();
    for (const [t, o] of this.offers) if (o.expires < now) this.offers.delete(t);
    const token = randomBytes(32).toString('hex');
    this.offers.set(token, { path, size, expires: now + this.o.tokenTtlMs, onBytes });
    return { url: `${this.base}/deliver/${token}/${encodeURIComponent(fileName)}`, revoke: () => this.offers.delete(token) };
  }

  get pending(): number {
    return this.offers.size;
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
    const offer = this.server.offer(localPath, size, report, routerFile.split('/').pop());
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
