// Probes against real HTTP, HTTPS-less and TCP servers on loopback.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { kube } from '@mikrotik-kube/proto';
import { waitFor } from '@mikrotik-kube/test-support';
import { runAction, type ProbeContext } from '../src/probe-actions';
import { ProbeRunner, probeSettings, type ProbeAttempt, type ProbeSettings } from '../src/probes';

let http: Server;
let httpPort = 0;
let status = 200;
const seenHeaders: Record<string, string | string[] | undefined>[] = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    seenHeaders.push(req.headers);
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 1500);
    res.writeHead(req.url === '/redirect' ? 302 : status, req.url === '/redirect' ? { location: 'http://elsewhere/' } : {}).end();
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  httpPort = (http.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((r) => http.close(() => r())));

const ctx = (over: Partial<ProbeContext> = {}): ProbeContext => ({
  address: '127.0.0.1/24',
  container: 'c1',
  routerStatus: async () => 'running',
  ...over,
});
const httpGet = (path: string, port = httpPort, headers: kube.HttpHeader__Output[] = []): kube.HttpGetAction__Output => ({
  scheme: '',
  path,
  port,
  headers,
  host: '',
});

describe('probe actions', () => {
  it('http: 200-399 succeed, 4xx/5xx fail, headers are sent to the unit address', async () => {
    status = 204;
    const ok = await runAction({ kind: 'http', action: httpGet('/healthz', httpPort, [{ name: 'X-Probe', value: 'yes' }]) }, ctx(), 1000);
    expect(ok).toMatchObject({ ok: true });
    expect(ok.detail).toContain(`http://127.0.0.1:${httpPort}/healthz: HTTP 204`);
    expect(seenHeaders.at(-1)?.['x-probe']).toBe('yes');
    expect((await runAction({ kind: 'http', action: httpGet('/redirect') }, ctx(), 1000)).ok).toBe(true);
    status = 503;
    expect(await runAction({ kind: 'http', action: httpGet('/') }, ctx(), 1000)).toMatchObject({ ok: false, detail: expect.stringContaining('HTTP 503') });
  });

  it('http: a slow answer is a timeout failure; a closed port is a failure', async () => {
    const slow = await runAction({ kind: 'http', action: httpGet('/slow') }, ctx(), 200);
    expect(slow).toMatchObject({ ok: false, detail: expect.stringContaining('timed out') });
    const tcp = createTcpServer();
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const closedPort = (tcp.address() as { port: number }).port;
    tcp.close();
    const refused = await runAction({ kind: 'http', action: httpGet('/', closedPort) }, ctx(), 500);
    expect(refused).toMatchObject({ ok: false, detail: expect.stringContaining('ECONNREFUSED') });
  });

  it('tcp: connect succeeds while listening and fails once closed', async () => {
    const tcp = createTcpServer((s) => s.end());
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    const port = (tcp.address() as { port: number }).port;
    expect((await runAction({ kind: 'tcp', action: { port, host: '' } }, ctx(), 500)).ok).toBe(true);
    await new Promise<void>((r) => tcp.close(() => r()));
    expect((await runAction({ kind: 'tcp', action: { port, host: '' } }, ctx(), 500)).ok).toBe(false);
  });

  it('routeros status: healthy only while running', async () => {
    expect((await runAction({ kind: 'routeros' }, ctx(), 500)).ok).toBe(true);
    expect(await runAction({ kind: 'routeros' }, ctx({ routerStatus: async () => 'stopped' }), 500)).toEqual({ ok: false, detail: 'routeros status stopped' });
  });
});

describe('probe settings', () => {
  it('takes kubelet defaults for zero values', () => {
    const s = probeSettings({
      handler: 'tcp_socket',
      tcp_socket: { port: 80, host: '' },
      initial_delay_seconds: 0,
      period_seconds: 0,
      timeout_seconds: 0,
      failure_threshold: 0,
      success_threshold: 0,
    });
    expect(s).toMatchObject({ initialDelayMs: 0, periodMs: 10_000, timeoutMs: 1000, failureThreshold: 3, successThreshold: 1 });
  });
});

describe('ProbeRunner', () => {
  const settings = (over: Partial<ProbeSettings>): ProbeSettings => ({
    handler: { kind: 'http', action: httpGet('/') },
    initialDelayMs: 0,
    periodMs: 40,
    timeoutMs: 500,
    failureThreshold: 3,
    successThreshold: 2,
    ...over,
  });

  it('flips only after the thresholds of consecutive results', async () => {
    status = 200;
    const changes: Array<{ ok: boolean; attempts: number }> = [];
    const attempts: ProbeAttempt[] = [];
    const r = new ProbeRunner({
      kind: 'readiness',
      settings: settings({}),
      context: ctx(),
      onChange: (ok) => changes.push({ ok, attempts: attempts.length }),
      onAttempt: (a) => attempts.push(a),
    });
    expect(r.result).toBeUndefined();
    r.start();
    await waitFor(() => changes.length === 1, 5000, 10);
    expect(changes[0]).toEqual({ ok: true, attempts: 2 });
    const before = attempts.length;
    status = 500;
    await waitFor(() => changes.length === 2, 5000, 10);
    r.stop();
    expect(changes[1]?.ok).toBe(false);
    expect(changes[1]?.attempts).toBeGreaterThanOrEqual(before + 3);
    expect(attempts.every((a) => a.kind === 'readiness' && a.seconds >= 0)).toBe(true);
  });

  it('liveness starts successful and honours the initial delay', async () => {
    status = 500;
    const changes: boolean[] = [];
    const started = Date.now();
    let firstAttempt = 0;
    const r = new ProbeRunner({
      kind: 'liveness',
      settings: settings({ initialDelayMs: 300, failureThreshold: 1, successThreshold: 1 }),
      context: ctx(),
      onChange: (ok) => changes.push(ok),
      onAttempt: () => (firstAttempt ||= Date.now()),
    });
    expect(r.result).toBe(true);
    r.start();
    await waitFor(() => changes.length === 1, 5000, 10);
    r.stop();
    expect(changes).toEqual([false]);
    expect(firstAttempt - started).toBeGreaterThanOrEqual(290);
  });
});
