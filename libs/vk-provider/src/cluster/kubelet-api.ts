// The kubelet's HTTPS API as far as RouterOS containers allow: what the API server dials for
// `kubectl logs` (GET /containerLogs/{ns}/{pod}/{container}), GET /pods, /healthz, and usage for
// metrics-server and `kubectl top` (GET /stats/summary, /metrics/resource). exec,
// attach, port-forward and run have no RouterOS counterpart and answer 501.
// With `auth` (kubelet-auth.ts) every request is authenticated (client certificate or bearer
// token) and authorized (SubjectAccessReview) first, as the kubelet's webhook mode does. Without
// it, a client CA makes a client certificate from it required (and enough); without either,
// anybody who reaches the port can read logs.
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { V1Pod } from '@kubernetes/client-node';
import type { KubeletAuth } from './kubelet-auth';
import { isRouterOsError } from '@mikrotik-kube/routeros-rest';
import type { Logger } from '@mikrotik-kube/service-kit';
import { Counter, Gauge, type Registry } from 'prom-client';
import { NodeStats, type RouterUsage } from './node-stats';
import { RESOURCE_METRICS_CONTENT_TYPE, resourceMetrics } from './resource-metrics';
import { statsSummary } from './stats-summary';
import { formatLine, lineOrder, LogQueryError, parseLogQuery, selectLines, type LogLine, type LogQuery } from './log-query';

/** Thrown by `logs` when the pod or container is not ours: 404, or the end of a follow. */
export class LogsNotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LogsNotFound';
  }
}

export interface KubeletApiOptions {
  /** Listen address (the node's InternalIP, or 0.0.0.0 behind it). */
  host: string;
  /** 10250 like the kubelet; 0 picks a free port. */
  port: number;
  /** PEM. `clientCa` set → client certificates are requested and verified (required unless `auth`). */
  tls: { cert: string | Buffer; key: string | Buffer; clientCa?: string | Buffer };
  /** Authenticates and authorizes every request before it is routed; bearer-token clients need no certificate. */
  auth?: KubeletAuth;
  /** All lines RouterOS keeps for the container, oldest first; throws LogsNotFound for unknown ones. */
  logs(namespace: string, pod: string, container: string): Promise<LogLine[]>;
  /** The pods this node runs (GET /pods). */
  pods(): V1Pod[] | Promise<V1Pod[]>;
  /** Serves /stats/summary and /metrics/resource (404 without). */
  stats?: { nodeName: string; usage(): Promise<RouterUsage> };
  logger: Logger;
  /** Exports mikrotik_kube_vk_kubelet_api_requests_total{route,code} and mikrotik_kube_vk_kubelet_api_open_follows. */
  metrics?: Registry;
  /** How often a follow polls the router (default 1000 ms). */
  followIntervalMs?: number;
}

export interface KubeletApi {
  port: number;
  /** Serves a new certificate to new connections (a renewed CSR). */
  setCertificate(cert: string | Buffer, key: string | Buffer): void;
  /** Stops listening and ends open follows. */
  close(): Promise<void>;
}

const UNSUPPORTED = new Set(['exec', 'attach', 'portForward', 'run']);
/** `/stats/summary` and `/metrics/resource`: two-segment routes, named by their path. */
const USAGE_ROUTES = new Set(['stats/summary', 'metrics/resource']);

function text(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers }).end(body.endsWith('\n') ? body : `${body}\n`);
}

/** Writes at most `limit` bytes in total (cutting the last line, as the kubelet's LimitWriter does). */
class LimitedWriter {
  private remaining: number;
  constructor(
    private readonly res: ServerResponse,
    limit: number | undefined,
  ) {
    this.remaining = limit ?? Infinity;
  }
  get full(): boolean {
    return this.remaining <= 0;
  }
  /** Resolves once the chunk is handed to the socket (waits for drain under backpressure). */
  async write(s: string): Promise<void> {
    if (this.full) return;
    let buf = Buffer.from(s, 'utf8');
    if (buf.length > this.remaining) buf = buf.subarray(0, this.remaining);
    this.remaining -= buf.length;
    if (!this.res.write(buf)) await Promise.race([once(this.res, 'drain'), once(this.res, 'close')]);
  }
}

export async function startKubeletApi(o: KubeletApiOptions): Promise<KubeletApi> {
  const interval = o.followIntervalMs ?? 1000;
  const requests = o.metrics
    ? new Counter({ name: 'mikrotik_kube_vk_kubelet_api_requests_total', help: 'Kubelet API requests by route and status code.', labelNames: ['route', 'code'], registers: [o.metrics] })
    : undefined;
  const follows = new Set<() => void>();
  if (o.metrics) {
    new Gauge({
      name: 'mikrotik_kube_vk_kubelet_api_open_follows',
      help: 'Log streams (follow=true) currently open.',
      registers: [o.metrics],
      collect() {
        this.set(follows.size);
      },
    });
  }
  const stats = o.stats && new NodeStats({ usage: o.stats.usage, pods: o.pods });
  const secure = { minVersion: 'TLSv1.2' as const, cert: o.tls.cert, key: o.tls.key };
  const server: Server = createServer({
    ...secure,
    ...(o.tls.clientCa ? { ca: o.tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
  });
  if (!o.tls.clientCa && !o.auth) o.logger.warn('kubelet API is unauthenticated: no client CA configured (kubelet.clientCaFile), anyone reaching the port can read container logs');

  async function containerLogs(url: URL, ns: string, pod: string, container: string, res: ServerResponse): Promise<void> {
    let q: LogQuery;
    try {
      q = parseLogQuery(url.searchParams);
    } catch (e) {
      if (e instanceof LogQueryError) return text(res, 400, e.message);
      throw e;
    }
    let lines = await o.logs(ns, pod, container);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    const out = new LimitedWriter(res, q.limitBytes);
    let last = Math.max(-1, ...lines.map((l) => lineOrder(l.id)));
    for (const l of selectLines(lines, q)) await out.write(formatLine(l, q.timestamps, new Date()));
    if (!q.follow || out.full) return void res.end();
    res.flushHeaders();

    let closed = res.destroyed;
    let wake: () => void = () => undefined;
    const stop = () => {
      closed = true;
      wake();
    };
    res.once('close', stop);
    follows.add(stop);
    try {
      while (!closed && !out.full) {
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, interval).unref();
        });
        if (closed) break;
        try {
          lines = await o.logs(ns, pod, container);
        } catch (e) {
          if (e instanceof LogsNotFound) break;
          // The router may be restarting: keep the stream and try again at the next tick.
          o.logger.warn('kubelet API: follow could not read container log', { namespace: ns, pod, container, error: (e as Error).message });
          continue;
        }
        const fresh = lines.filter((l) => lineOrder(l.id) > last);
        if (fresh.length) last = Math.max(...fresh.map((l) => lineOrder(l.id)));
        for (const l of selectLines(fresh, { since: q.since })) await out.write(formatLine(l, q.timestamps, new Date()));
      }
    } finally {
      follows.delete(stop);
      res.off('close', stop);
      res.end();
    }
  }

  /** Serves one request; `label.route` names it for the metric. */
  async function handle(req: IncomingMessage, res: ServerResponse, label: { route: string }): Promise<void> {
    if (o.auth) {
      const decision = await o.auth.check(req);
      if (!decision.ok) {
        label.route = { 401: 'unauthorized', 403: 'forbidden', 500: 'authz-error' }[decision.status];
        return text(res, decision.status, decision.message);
      }
    } else if (o.tls.clientCa && !(req.socket as TLSSocket).authorized) {
      label.route = 'unauthorized';
      return text(res, 401, 'Unauthorized: a client certificate signed by the kubelet client CA is required');
    }
    const url = new URL(req.url ?? '/', 'https://kubelet');
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      return text(res, 400, 'bad path encoding');
    }
    const [head = '', ...rest] = parts;
    if (UNSUPPORTED.has(head)) {
      label.route = head;
      return text(res, 501, `${head} is not supported by RouterOS containers`);
    }
    const usage = stats && parts.length === 2 && USAGE_ROUTES.has(parts.join('/')) ? parts.join('/') : undefined;
    const route = usage ?? (head === 'containerLogs' ? head : ['pods', 'healthz'].includes(head) && rest.length === 0 ? head : 'other');
    label.route = route;
    if (route === 'other') return text(res, 404, `404 page not found: ${url.pathname}`);
    if (req.method !== 'GET') return text(res, 405, `${req.method} is not allowed on ${url.pathname}`, { allow: 'GET' });
    if (route === 'healthz') text(res, 200, 'ok');
    else if (stats && route === 'stats/summary') {
      const body = JSON.stringify(statsSummary(o.stats?.nodeName ?? '', await stats.snapshot()));
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else if (stats && route === 'metrics/resource') {
      const snapshot = await stats.snapshot().catch((e: unknown) => {
        o.logger.warn('kubelet API: could not read usage from the router', { error: (e as Error).message });
        return undefined;
      });
      res.writeHead(200, { 'content-type': RESOURCE_METRICS_CONTENT_TYPE }).end(resourceMetrics(snapshot));
    }
    else if (route === 'pods') {
      const body = JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: await o.pods() });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else {
      const [ns, pod, container] = rest;
      if (rest.length !== 3 || !ns || !pod || !container) text(res, 400, 'expected /containerLogs/{namespace}/{pod}/{container}');
      else await containerLogs(url, ns, pod, container, res);
    }
  }

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const t0 = Date.now();
    const label = { route: 'other' };
    void handle(req, res, label)
      .catch((e: unknown) => {
        if (e instanceof LogsNotFound) return text(res, 404, e.message);
        o.logger.error('kubelet API request failed', { path: req.url, error: (e as Error).message });
        // A router that is down or busy is worth retrying (503); an old one or a bug is not (500).
        text(res, isRouterOsError(e) && e.retryable ? 503 : 500, (e as Error).message);
      })
      .then(() => {
        requests?.inc({ route: label.route, code: String(res.statusCode) });
        o.logger.debug('kubelet API request', { method: req.method, path: req.url, status: res.statusCode, ms: Date.now() - t0 });
      });
  });
  // A TLS handshake that fails (wrong CA, old protocol) never becomes a request; say why once.
  server.on('tlsClientError', (e: Error) => o.logger.debug('kubelet API TLS handshake failed', { error: e.message }));

  server.listen(o.port, o.host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([e]) => Promise.reject(e as Error))]);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    setCertificate(cert, key) {
      server.setSecureContext({ ...secure, cert, key, ...(o.tls.clientCa ? { ca: o.tls.clientCa } : {}) });
      o.logger.info('kubelet API serving certificate replaced');
    },
    async close() {
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const stop of [...follows]) stop();
      // Shutdown: open streams and keep-alive sockets go now rather than at their timeouts.
      server.closeAllConnections();
      await closed;
    },
  };
}
