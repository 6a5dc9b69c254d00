// The kubelet HTTPS API over real TLS on loopback, reading real /container/log lines from the
// RouterOS simulator through routeros-rest: mTLS, the /containerLogs query, follow, errors.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { V1Pod } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { Simulator } from '@mikrotik-kube/routeros-sim';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { containerName } from '../core/naming';
import { LogsNotFound, startKubeletApi, type KubeletApi } from './kubelet-api';
import { startTestRouter, type TestRouter } from '../../test/support/test-router';

// --- certificates (openssl, as an operator would make them) ---
function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'pipe' });
}
function makeCa(dir: string, name: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(dir, `${name}.key`)]);
  openssl(['req', '-x509', '-new', '-key', join(dir, `${name}.key`), '-sha256', '-days', '1', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign', '-out', join(dir, `${name}.crt`)]);
}
function makeCert(dir: string, name: string, ca: string, subject: string, ext: string): void {
  const p = (s: string) => join(dir, s);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p(`${name}.key`)]);
  openssl(['req', '-new', '-key', p(`${name}.key`), '-subj', subject, '-out', p(`${name}.csr`)]);
  writeFileSync(p(`${name}.ext`), ext);
  openssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`), '-CAcreateserial', '-sha256', '-days', '1', '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`)]);
}
const SERVER_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n';
const CLIENT_EXT = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';

interface Reply {
  status: number;
  body: string;
  headers: IncomingMessage['headers'];
}

function capturingLogger(lines: string[]): winston.Logger {
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return winston.createLogger({ level: 'debug', format: winston.format.json(), transports: [new winston.transports.Stream({ stream: sink })] });
}

const POD: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'web', uid: 'u-1' }, spec: { nodeName: 'n', containers: [{ name: 'app', image: 'x' }] } };
const ROS_NAME = containerName('default', 'web', 'app');

describe('kubelet API (HTTPS, simulator 7.21 behind it)', () => {
  let dir: string;
  let testRouter: TestRouter | undefined;
  let admin: string;
  let router: RouterOsClient;
  let api: KubeletApi;
  let openApi: KubeletApi;
  const logLines: string[] = [];
  const openLogLines: string[] = [];
  const pods = new Map<string, V1Pod>([['default/web', POD]]);
  const registry = new Registry();
  const pem = (n: string) => readFileSync(join(dir, n));

  const logs = async (ns: string, pod: string, container: string) => {
    const p = pods.get(`${ns}/${pod}`);
    if (!p?.spec?.containers.some((c) => c.name === container)) throw new LogsNotFound(`container ${container} of pod ${ns}/${pod} is not on this node`);
    return router.containers.logs(containerName(ns, pod, container));
  };
  const output = (lines: string[]) => fetch(`${admin}/containers/${ROS_NAME}/output`, { method: 'POST', body: JSON.stringify({ lines }) }).then((r) => expect(r.status).toBe(200));

  function get(path: string, opts: { port?: number; client?: string | null; ca?: string } = {}): Promise<Reply> {
    const client = opts.client === undefined ? 'client' : opts.client;
    const o: RequestOptions = {
      host: '127.0.0.1',
      port: opts.port ?? api.port,
      path,
      ca: pem(`${opts.ca ?? 'ca'}.crt`),
      agent: false,
      ...(client ? { cert: pem(`${client}.crt`), key: pem(`${client}.key`) } : {}),
    };
    return new Promise((resolve, reject) => {
      request(o, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubelet-api-'));
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    makeCert(dir, 'server', 'ca', '/CN=system:node:n/O=system:nodes', SERVER_EXT);
    makeCert(dir, 'server2', 'ca', '/CN=renewed', SERVER_EXT);
    makeCert(dir, 'client', 'ca', '/CN=kube-apiserver-kubelet-client/O=system:masters', CLIENT_EXT);
    makeCert(dir, 'stranger', 'other-ca', '/CN=kube-apiserver-kubelet-client/O=system:masters', CLIENT_EXT);

    const t = await startTestRouter('7.21');
    testRouter = t;
    ({ router } = t);
    admin = t.urls.admin;
    await t.addContainer({ name: ROS_NAME, veth: 'veth-web', address: '127.0.96.2/24', logging: true });
    await output(['first line', 'second line', 'third line']);

    api = await startKubeletApi({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: pem('server.crt'), key: pem('server.key'), clientCa: pem('ca.crt') },
      logs,
      pods: () => [...pods.values()],
      logger: capturingLogger(logLines),
      metrics: registry,
      followIntervalMs: 100,
    });
    openApi = await startKubeletApi({ host: '127.0.0.1', port: 0, tls: { cert: pem('server.crt'), key: pem('server.key') }, logs, pods: () => [], logger: capturingLogger(openLogLines) });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await openApi?.close();
    await testRouter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mTLS: the API server client certificate is accepted; none, or one from another CA, is 401', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    const none = await get('/containerLogs/default/web/app', { client: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatch(/client certificate/);
    expect((await get('/containerLogs/default/web/app', { client: 'stranger' })).status).toBe(401);
    expect(logLines.some((l) => /unauthenticated/.test(l))).toBe(false);
  });

  it('without a client CA it serves anyone and says so at start', async () => {
    expect(openLogLines.some((l) => l.includes('"level":"warn"') && /unauthenticated/.test(l))).toBe(true);
    expect(await get('/healthz', { port: openApi.port, client: null })).toMatchObject({ status: 200 });
    expect((await get('/containerLogs/default/web/app', { port: openApi.port, client: null })).body).toContain('first line');
  });

  it('refuses TLS below 1.2', async () => {
    const err = await new Promise<Error | undefined>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: api.port, maxVersion: 'TLSv1.1', minVersion: 'TLSv1', ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') });
      s.once('secureConnect', () => {
        s.destroy();
        resolve(undefined);
      });
      s.once('error', (e) => resolve(e));
    });
    expect(err).toBeInstanceOf(Error);
  });

  it('whole log as text/plain, tailLines, limitBytes', async () => {
    const all = await get('/containerLogs/default/web/app');
    expect(all.status).toBe(200);
    expect(all.headers['content-type']).toMatch(/^text\/plain/);
    expect(all.body).toBe('first line\nsecond line\nthird line\n');
    expect((await get('/containerLogs/default/web/app?tailLines=2')).body).toBe('second line\nthird line\n');
    expect((await get('/containerLogs/default/web/app?tailLines=0')).body).toBe('');
    expect((await get('/containerLogs/default/web/app?limitBytes=14')).body).toBe('first line\nsec');
  });

  it('timestamps: RFC3339 UTC prefix and a space, from the router clock', async () => {
    const body = (await get('/containerLogs/default/web/app?timestamps=true&tailLines=1')).body;
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) third line\n$/.exec(body);
    expect(m).not.toBeNull();
    expect(Math.abs(new Date(m?.[1] ?? 0).getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('sinceSeconds and sinceTime leave older lines out', async () => {
    await new Promise((r) => setTimeout(r, 2100));
    await output(['fresh line']);
    expect((await get('/containerLogs/default/web/app?sinceSeconds=1')).body).toBe('fresh line\n');
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect((await get(`/containerLogs/default/web/app?sinceTime=${encodeURIComponent(future)}`)).body).toBe('');
    const past = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, '+00:00');
    expect((await get(`/containerLogs/default/web/app?sinceTime=${encodeURIComponent(past)}`)).body).toContain('first line');
  });

  it('follow streams a line written after the request began, and ends when the container goes away', async () => {
    const received: string[] = [];
    let ended = false;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      request({ host: '127.0.0.1', port: api.port, path: '/containerLogs/default/web/app?follow=true&tailLines=1', ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key'), agent: false }, resolve)
        .on('error', reject)
        .end();
    });
    expect(res.statusCode).toBe(200);
    res.setEncoding('utf8');
    res.on('data', (c: string) => received.push(c));
    res.on('end', () => (ended = true));
    await until(() => received.join('') === 'fresh line\n');
    await output(['late line 1', 'late line 2']);
    await until(() => received.join('') === 'fresh line\nlate line 1\nlate line 2\n');
    expect(ended).toBe(false);
    pods.delete('default/web');
    try {
      await until(() => ended);
    } finally {
      pods.set('default/web', POD);
    }
  });

  it('follow ends when the client goes away', async () => {
    const req = request({ host: '127.0.0.1', port: api.port, path: '/containerLogs/default/web/app?follow=1', ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key'), agent: false });
    const res = await new Promise<IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject).end());
    res.resume();
    await until(async () => (await openFollows(registry)) === 1);
    req.destroy();
    await until(async () => (await openFollows(registry)) === 0);
  });

  it('errors: unknown pod/container 404, bad query 400 naming the parameter, previous 400, exec & co 501, other paths 404', async () => {
    const nf = await get('/containerLogs/default/nope/app');
    expect(nf).toMatchObject({ status: 404 });
    expect(nf.body).toMatch(/default\/nope/);
    expect((await get('/containerLogs/default/web/sidecar')).status).toBe(404);
    for (const [q, param] of [['tailLines=-1', 'tailLines'], ['tailLines=abc', 'tailLines'], ['limitBytes=0', 'limitBytes'], ['sinceSeconds=0', 'sinceSeconds'], ['sinceTime=yesterday', 'sinceTime'], ['timestamps=maybe', 'timestamps'], ['follow=yes', 'follow'], ['sinceSeconds=5&sinceTime=2020-01-01T00:00:00Z', 'sinceSeconds']]) {
      const r = await get(`/containerLogs/default/web/app?${q}`);
      expect(r.status, q).toBe(400);
      expect(r.body.startsWith(`${param}:`), r.body).toBe(true);
    }
    expect(await get('/containerLogs/default/web/app?previous=true')).toMatchObject({ status: 400, body: 'previous logs are not kept by RouterOS\n' });
    for (const p of ['/exec/default/web/app?command=ls', '/attach/default/web/app', '/portForward/default/web', '/run/default/web/app']) {
      const r = await get(p);
      expect(r.status, p).toBe(501);
      expect(r.body).toMatch(/not supported by RouterOS containers/);
    }
    expect((await get('/stats/summary')).status).toBe(404);
    expect((await get('/containerLogs/default/web')).status).toBe(400);
  });

  it('router failures: RouterOS before 7.20 is a 500 saying so; a router that is down is a 503', async () => {
    const old = new Simulator({ version: '7.19', users: { admin: 'pw' } });
    const oldRouter = new RouterOsClient({ url: (await old.start()).rest, username: 'admin', password: 'pw' });
    const down = new RouterOsClient({ url: 'http://127.0.0.1:1/rest', username: 'admin', password: 'pw', timeoutMs: 500, retryDelayMs: 10 });
    const lines: string[] = [];
    const viaOld = await startKubeletApi({ host: '127.0.0.1', port: 0, tls: { cert: pem('server.crt'), key: pem('server.key') }, logs: (_n, _p, c) => (c === 'down' ? down : oldRouter).containers.logs(c), pods: () => [], logger: capturingLogger(lines) });
    try {
      const r = await get('/containerLogs/default/web/app', { port: viaOld.port });
      expect(r.status).toBe(500);
      expect(r.body).toMatch(/container logs need RouterOS 7\.20\+ \(\/container\/log\); the router runs 7\.19/);
      expect((await get('/containerLogs/default/web/down', { port: viaOld.port })).status).toBe(503);
      expect(lines.some((l) => l.includes('"level":"error"') && /kubelet API request failed/.test(l))).toBe(true);
    } finally {
      await viaOld.close();
      oldRouter.close();
      down.close();
      await old.stop();
    }
  });

  it('GET /pods is a PodList of our pods', async () => {
    const r = await get('/pods');
    expect(r.headers['content-type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [POD] });
  });

  it('a new serving certificate is used for new connections', async () => {
    const subject = async () => {
      const s: TLSSocket = connect({ host: '127.0.0.1', port: api.port, ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') });
      await new Promise((r, j) => s.once('secureConnect', r).once('error', j));
      const cert: PeerCertificate = s.getPeerCertificate();
      s.destroy();
      return cert.subject.CN;
    };
    expect(await subject()).toBe('system:node:n');
    api.setCertificate(pem('server2.crt'), pem('server2.key'));
    expect(await subject()).toBe('renewed');
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/healthz', { client: null })).status).toBe(401);
  });

  it('counts requests by route and code', async () => {
    expect(await metricValue(registry, 'unauthorized', '401')).toBeGreaterThanOrEqual(2);
    expect(await metricValue(registry, 'exec', '501')).toBe(1);
  });
});

async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function metricValue(registry: Registry, route: string, code: string): Promise<number> {
  const m = await registry.getSingleMetric('mikrotik_kube_vk_kubelet_api_requests_total')?.get();
  return m?.values.find((v) => v.labels['route'] === route && v.labels['code'] === code)?.value ?? 0;
}

async function openFollows(registry: Registry): Promise<number> {
  return (await registry.getSingleMetric('mikrotik_kube_vk_kubelet_api_open_follows')?.get())?.values[0]?.value ?? -1;
}
