// /stats/summary and /metrics/resource over real HTTPS on loopback, reading real container usage
// from the RouterOS simulator (7.23) through routeros-rest, as set through its admin endpoint.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { containerName } from '../core/naming';
import { startKubeletApi, type KubeletApi } from './kubelet-api';
import { startTestRouter, type TestRouter } from '../../test/support/test-router';
import type { Summary } from './stats-summary';

const pod = (name: string, containers: string[]): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: 'default', name, uid: `uid-${name}` },
  spec: { nodeName: 'router-1', containers: containers.map((c) => ({ name: c, image: 'x' })) },
  status: { startTime: new Date('2026-01-01T00:00:00Z') },
});
const PODS = [pod('web', ['app', 'side']), pod('db', ['pg'])];

/** `name{labels} value ts` lines of a family, labels as written. */
function samples(text: string, family: string): Map<string, { value: number; ts: number }> {
  const out = new Map<string, { value: number; ts: number }>();
  for (const m of text.matchAll(new RegExp(`^${family}(\\{[^}]*\\})? (\\S+) (\\d+)$`, 'gm'))) out.set(m[1] ?? '', { value: Number(m[2]), ts: Number(m[3]) });
  return out;
}

describe('kubelet usage routes (HTTPS, simulator 7.23 behind it)', () => {
  let dir: string;
  let testRouter: TestRouter | undefined;
  let admin: string;
  let router: RouterOsClient;
  let api: KubeletApi;

  const get = (path: string): Promise<{ status: number; body: string; type: string }> =>
    new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port: api.port, path, ca: readFileSync(join(dir, 'server.crt')), agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
      })
        .on('error', reject)
        .end();
    });
  const setUsage = (ros: string, body: unknown) => fetch(`${admin}/containers/${ros}/usage`, { method: 'POST', body: JSON.stringify(body) }).then((r) => expect(r.status).toBe(200));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kubelet-stats-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt'), '-days', '1', '-subj', '/CN=router-1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    const t = await startTestRouter('7.23', { maxAttempts: 1 });
    testRouter = t;
    ({ router } = t);
    admin = t.urls.admin;
    let n = 0;
    for (const [p, c, start] of [['web', 'app', true], ['web', 'side', true], ['db', 'pg', false]] as const) {
      n += 1;
      await t.addContainer({ name: containerName('default', p, c), veth: `veth-${n}`, address: `127.0.97.${n + 1}/24`, start });
    }
    await setUsage(containerName('default', 'web', 'app'), { memoryBytes: 52_428_800, cpuPercent: 25 });
    await setUsage(containerName('default', 'web', 'side'), { memoryBytes: 10_485_760, cpuPercent: 5 });
    const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
    const usage = async () => {
      const [containers, resource] = await Promise.all([router.containers.list(), router.system.resource()]);
      return { containers, resource };
    };
    api = await startKubeletApi({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')) },
      logs: () => Promise.resolve([]),
      pods: () => PODS,
      stats: { nodeName: 'router-1', usage },
      logger,
    });
  }, 60_000);

  afterAll(async () => {
    await api?.close();
    await testRouter?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('/stats/summary: the node from /system/resource, our pods with the usage the router reports', async () => {
    const res = await get('/stats/summary');
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    const s = JSON.parse(res.body) as Summary;
    const rsrc = await router.system.resource();
    expect(s.node.nodeName).toBe('router-1');
    // The simulator's memory is this machine's and moves between the two reads: compare loosely.
    expect(s.node.memory.workingSetBytes).toBeGreaterThan(0);
    expect(s.node.memory.workingSetBytes).toBeLessThan(rsrc.totalMemory);
    expect(s.node.fs.capacityBytes).toBe(rsrc.totalHddSpace);
    expect(s.node.cpu.usageNanoCores).toBe(Math.round((rsrc.cpuLoad / 100) * rsrc.cpuCount * 1e9));
    expect(Date.now() - Date.parse(s.node.startTime)).toBeLessThan(120_000);
    const web = s.pods.find((p) => p.podRef.name === 'web');
    expect(web?.podRef).toEqual({ name: 'web', namespace: 'default', uid: 'uid-web' });
    const cores = rsrc.cpuCount;
    expect(web?.containers.map((c) => [c.name, c.memory?.workingSetBytes, c.cpu?.usageNanoCores])).toEqual([
      ['app', 52_428_800, 0.25 * cores * 1e9],
      ['side', 10_485_760, 0.05 * cores * 1e9],
    ]);
    expect(web?.memory?.workingSetBytes).toBe(62_914_560);
    // The stopped container has no usage, so its pod lists none.
    expect(s.pods.find((p) => p.podRef.name === 'db')?.containers).toEqual([]);
  });

  it('/metrics/resource: Prometheus text whose CPU counters grow at the rate the router reports', async () => {
    const first = await get('/metrics/resource');
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    await new Promise((r) => setTimeout(r, 300));
    await setUsage(containerName('default', 'web', 'app'), { cpuPercent: 50 });
    const second = (await get('/metrics/resource')).body;
    const app = '{container="app",namespace="default",pod="web"}';
    const a = samples(first.body, 'container_cpu_usage_seconds_total').get(app);
    const b = samples(second, 'container_cpu_usage_seconds_total').get(app);
    expect(a && b).toBeTruthy();
    const cores = (await router.system.resource()).cpuCount;
    // Trapezoid between the two readings: (25% + 50%)/2 of the router over the time between them.
    expect((b?.value ?? 0) - (a?.value ?? 0)).toBeCloseTo(((0.25 + 0.5) / 2) * cores * (((b?.ts ?? 0) - (a?.ts ?? 0)) / 1000), 6);
    expect(samples(second, 'container_memory_working_set_bytes').get(app)?.value).toBe(52_428_800);
    expect(samples(second, 'pod_memory_working_set_bytes').get('{namespace="default",pod="web"}')?.value).toBe(62_914_560);
    expect(samples(second, 'node_cpu_usage_seconds_total').get('')?.value).toBeGreaterThanOrEqual(samples(first.body, 'node_cpu_usage_seconds_total').get('')?.value ?? Infinity);
    expect(second).toMatch(/^resource_scrape_error 0$/m);
    expect(second).not.toContain('pod="db"');
  });

  it('a router that fails: /metrics/resource says scrape_error 1 (200), /stats/summary is 5xx', async () => {
    await fetch(`${admin}/faults`, { method: 'PUT', body: JSON.stringify({ errorRate: 1 }) });
    try {
      const m = await get('/metrics/resource');
      expect(m.status).toBe(200);
      expect(m.body).toMatch(/^scrape_error 1$/m);
      expect(m.body).not.toContain('container_');
      expect((await get('/stats/summary')).status).toBeGreaterThanOrEqual(500);
    } finally {
      await fetch(`${admin}/faults`, { method: 'PUT', body: JSON.stringify({ errorRate: 0 }) });
    }
    expect((await get('/stats/summary')).status).toBe(200);
  });

  it('other paths under /stats and /metrics are 404', async () => {
    expect((await get('/stats/summary/x')).status).toBe(404);
    expect((await get('/metrics/cadvisor')).status).toBe(404);
  });
});
