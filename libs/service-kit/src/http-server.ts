// The operational HTTP port every service has: /metrics, /healthz, /readyz,
// plus optional service routes (status pages, admin endpoints).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface Readiness {
  ok: boolean;
  detail?: string;
}

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | Promise<boolean>;

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** Liveness: the process can do work. Defaults to always ok. */
  health?: () => Readiness | Promise<Readiness>;
  /** Readiness: dependencies reachable, state loaded. */
  readiness?: () => Readiness | Promise<Readiness>;
  /** Tried before the built-in routes; return true when handled. */
  routes?: RouteHandler;
}

export interface OpsServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function probe(res: http.ServerResponse, check?: () => Readiness | Promise<Readiness>): Promise<void> {
  let result: Readiness;
  try {
    result = check ? await check() : { ok: true };
  } catch (err) {
    result = { ok: false, detail: (err as Error).message };
  }
  const text = result.ok ? 'ok' : `not ok${result.detail ? `: ${result.detail}` : ''}`;
  res.writeHead(result.ok ? 200 : 503, { 'content-type': 'text/plain' });
  res.end(`${text}\n`);
}

export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    void (async () => {
      try {
        if (opts.routes && (await opts.routes(req, res))) return;
        const path = (req.url ?? '/').split('?')[0];
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
        } else if (path === '/metrics') {
          const body = await opts.registry.metrics();
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(body);
        } else if (path === '/healthz' || path === '/livez') {
          await probe(res, opts.health);
        } else if (path === '/readyz') {
          await probe(res, opts.readiness);
        } else {
          sendJson(res, 404, { error: 'not found' });
        }
      } catch (err) {
        if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
        else res.destroy();
      }
    })();
  });
  // Keep-alive sockets must not hold shutdown open.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    server,
    port,
    url: `http://${hostForUrl}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
