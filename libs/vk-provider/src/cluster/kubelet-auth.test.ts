// The kubelet API's webhook authentication and authorization against a real control plane
// (TokenReview, SubjectAccessReview, RBAC) over real HTTPS on loopback, with the RouterOS
// simulator (7.23) behind it for logs and usage.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api, type V1Pod } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { requireControlPlane, startControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { containerName } from '../core/naming';
import { startKubeletApi, type KubeletApi } from './kubelet-api';
import { kubeletAuth, requestAttributes } from './kubelet-auth';
import { startTestRouter, type TestRouter } from '../../test/support/test-router';

const NODE = 'router-1';
const POD: V1Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'default', name: 'web', uid: 'u-1' }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'x' }] } };
const LOGS = '/containerLogs/default/web/app';
const SA_USER = 'system:serviceaccount:default:scraper';

describe('kubelet API path → nodes subresource (the kubelet server/auth.go mapping)', () => {
  it('stats, metrics, logs have their own subresource; pods and healthz fall back to proxy; the rest is proxy', () => {
    expect(requestAttributes('GET', '/stats/summary')).toEqual({ verb: 'get', subresources: ['stats'] });
    expect(requestAttributes('GET', '/metrics/resource')).toEqual({ verb: 'get', subresources: ['metrics'] });
    expect(requestAttributes('GET', '/logs/syslog')).toEqual({ verb: 'get', subresources: ['log'] });
    expect(requestAttributes('GET', '/pods')).toEqual({ verb: 'get', subresources: ['pods', 'proxy'] });
    expect(requestAttributes('GET', '/healthz')).toEqual({ verb: 'get', subresources: ['healthz', 'proxy'] });
    expect(requestAttributes('GET', LOGS)).toEqual({ verb: 'get', subresources: ['proxy'] });
    expect(requestAttributes('POST', '/exec/default/web/app')).toEqual({ verb: 'create', subresources: ['proxy'] });
    // A prefix is a path segment, not a string prefix.
    expect(requestAttributes('GET', '/statsx')).toEqual({ verb: 'get', subresources: ['proxy'] });
  });
});

const skip = requireControlPlane();

describe.skipIf(skip)(`kubelet API webhook auth (real control plane, simulator 7.23)${skip ? ` — skipped: ${skip}` : ''}`, () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let dir: string;
  let testRouter: TestRouter | undefined;
  let router: RouterOsClient;
  let api: KubeletApi;
  let token: string;
  const registry = new Registry();
  const pki = (n: string) => readFileSync(join(cp.dir, 'pki', n));

  function get(path: string, auth: { cert?: string; token?: string } = {}): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      request(
        {
          host: '127.0.0.1',
          port: api.port,
          path,
          ca: readFileSync(join(dir, 'server.crt')),
          agent: false,
          ...(auth.cert ? { cert: pki(`${auth.cert}.crt`), key: pki(`${auth.cert}.key`) } : {}),
          ...(auth.token ? { headers: { authorization: `Bearer ${auth.token}` } } : {}),
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      )
        .on('error', reject)
        .end();
    });
  }

  async function counter(name: string, labels: Record<string, string>): Promise<number> {
    const m = await registry.getSingleMetric(name)?.get();
    return m?.values.filter((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x)).reduce((a, v) => a + v.value, 0) ?? 0;
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    dir = mkdtempSync(join(tmpdir(), 'kubelet-auth-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, 'server.key'), '-out', join(dir, 'server.crt'), '-days', '1', '-subj', `/CN=system:node:${NODE}`, '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'pipe' });
    // Another node's kubelet: a client certificate from the cluster CA, but no right to our logs.
    const p = (s: string) => join(cp.dir, 'pki', s);
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', p('other-node.key')], { stdio: 'pipe' });
    execFileSync('openssl', ['req', '-new', '-key', p('other-node.key'), '-subj', '/O=system:nodes/CN=system:node:other', '-out', join(dir, 'other-node.csr')], { stdio: 'pipe' });
    writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
    execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'other-node.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-CAserial', join(dir, 'ca.srl'), '-sha256', '-days', '1', '-extfile', join(dir, 'client.ext'), '-out', p('other-node.crt')], { stdio: 'pipe' });

    const t = await startTestRouter('7.23');
    testRouter = t;
    ({ router } = t);
    const ros = containerName('default', 'web', 'app');
    await t.addContainer({ name: ros, veth: 'veth-web', address: '127.0.98.2/24', logging: true });
    const out = await fetch(`${t.urls.admin}/containers/${ros}/output`, { method: 'POST', body: JSON.stringify({ lines: ['hello from the router'] }) });
    expect(out.status).toBe(200);

    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: 'default', body: { metadata: { name: 'scraper' } } });
    const tr = await core.createNamespacedServiceAccountToken({ namespace: 'default', name: 'scraper', body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    token = tr.status?.token ?? '';
    expect(token).not.toBe('');

    const logger = winston.createLogger({ level: 'error', transports: [new winston.transports.Console({ silent: true })] });
    api = await startKubeletApi({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')), clientCa: pki('ca.crt') },
      // Denials are kept 3 s here (30 s by default) so the RBAC change below shows without a long wait.
      auth: kubeletAuth({ kubeConfig: kc, nodeName: NODE, logger, metrics: registry, denyTtlMs: 3000 }),
      logs: (ns, pod, container) => router.containers.logs(containerName(ns, pod, container)),
      pods: () => [POD],
      stats: { nodeName: NODE, usage: async () => ({ containers: await router.containers.list(), resource: await router.system.resource() }) },
      logger,
      metrics: registry,
    });
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await testRouter?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it("the API server's kubelet client certificate (system:masters) reads logs, usage, pods and healthz", async () => {
    const auth = { cert: 'apiserver-kubelet-client' };
    const logs = await get(LOGS, auth);
    expect(logs).toMatchObject({ status: 200 });
    expect(logs.body).toContain('hello from the router');
    const summary = await get('/stats/summary', auth);
    expect(summary.status).toBe(200);
    expect((JSON.parse(summary.body) as { node: { nodeName: string } }).node.nodeName).toBe(NODE);
    expect((await get('/metrics/resource', auth)).body).toMatch(/^node_cpu_usage_seconds_total /m);
    expect((await get('/pods', auth)).status).toBe(200);
    expect(await get('/healthz', auth)).toEqual({ status: 200, body: 'ok\n' });
  });

  it("another node's certificate from the same CA is authenticated but forbidden", async () => {
    expect(await get(LOGS, { cert: 'other-node' })).toEqual({ status: 403, body: 'Forbidden (user=system:node:other, verb=get, resource=nodes, subresource=proxy)\n' });
  });

  it('no credentials, or a token the API server does not know, is 401', async () => {
    expect(await get(LOGS)).toEqual({ status: 401, body: 'Unauthorized\n' });
    expect(await get('/healthz')).toMatchObject({ status: 401 });
    expect(await get('/stats/summary', { token: 'made-up.token.value' })).toEqual({ status: 401, body: 'Unauthorized\n' });
  });

  it('a ServiceAccount token without RBAC is 403 naming the subresource', async () => {
    expect(await get('/stats/summary', { token })).toEqual({ status: 403, body: `Forbidden (user=${SA_USER}, verb=get, resource=nodes, subresource=stats)\n` });
    expect(await get('/metrics/resource', { token })).toMatchObject({ status: 403, body: expect.stringContaining('subresource=metrics)') as unknown });
    expect(await get(LOGS, { token })).toMatchObject({ status: 403, body: expect.stringContaining('subresource=proxy)') as unknown });
    expect(await get('/pods', { token })).toMatchObject({ status: 403, body: expect.stringContaining('subresource=pods,proxy)') as unknown });
  });

  it('after a binding to get nodes/stats and nodes/metrics: usage is 200, logs still 403', async () => {
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createClusterRole({ body: { metadata: { name: 'node-usage-reader' }, rules: [{ apiGroups: [''], resources: ['nodes/stats', 'nodes/metrics'], verbs: ['get'] }] } });
    await rbac.createClusterRoleBinding({
      body: { metadata: { name: 'scraper-node-usage' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'node-usage-reader' }, subjects: [{ kind: 'ServiceAccount', name: 'scraper', namespace: 'default' }] },
    });
    // The earlier denial is cached for 3 s, and RBAC reaches the authorizer through an informer.
    const end = Date.now() + 15_000;
    while ((await get('/stats/summary', { token })).status !== 200) {
      if (Date.now() > end) throw new Error('nodes/stats never allowed');
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await get('/metrics/resource', { token })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 3100));
    expect(await get(LOGS, { token })).toEqual({ status: 403, body: `Forbidden (user=${SA_USER}, verb=get, resource=nodes, subresource=proxy)\n` });
  });

  it('decisions and token reviews are cached: repeated requests ask the API server nothing', async () => {
    expect((await get('/stats/summary', { token })).status).toBe(200);
    expect((await get(LOGS, { token })).status).toBe(403);
    const before = {
      reviews: await counter('mikrotik_kube_vk_kubelet_api_authz_total', { cached: 'false' }),
      allowHits: await counter('mikrotik_kube_vk_kubelet_api_authz_total', { decision: 'allow', cached: 'true' }),
      denyHits: await counter('mikrotik_kube_vk_kubelet_api_authz_total', { decision: 'deny', cached: 'true' }),
      tokenReviews: await counter('mikrotik_kube_vk_kubelet_api_authn_total', { method: 'token', cached: 'false' }),
    };
    for (let i = 0; i < 3; i++) {
      expect((await get('/stats/summary', { token })).status).toBe(200);
      expect((await get(LOGS, { token })).status).toBe(403);
    }
    expect(await counter('mikrotik_kube_vk_kubelet_api_authz_total', { cached: 'false' })).toBe(before.reviews);
    expect(await counter('mikrotik_kube_vk_kubelet_api_authz_total', { decision: 'allow', cached: 'true' })).toBe(before.allowHits + 3);
    expect(await counter('mikrotik_kube_vk_kubelet_api_authz_total', { decision: 'deny', cached: 'true' })).toBe(before.denyHits + 3);
    expect(await counter('mikrotik_kube_vk_kubelet_api_authn_total', { method: 'token', cached: 'false' })).toBe(before.tokenReviews);
    // A denial expires (3 s here) and is asked again.
    await new Promise((r) => setTimeout(r, 3100));
    expect((await get(LOGS, { token })).status).toBe(403);
    expect(await counter('mikrotik_kube_vk_kubelet_api_authz_total', { decision: 'deny', cached: 'false' })).toBeGreaterThan(0);
    expect(await counter('mikrotik_kube_vk_kubelet_api_authz_total', { cached: 'false' })).toBe(before.reviews + 1);
  });

  it('counts refused requests by route', async () => {
    const m = await registry.getSingleMetric('mikrotik_kube_vk_kubelet_api_requests_total')?.get();
    const v = (route: string, code: string) => m?.values.find((x) => x.labels['route'] === route && x.labels['code'] === code)?.value ?? 0;
    expect(v('unauthorized', '401')).toBeGreaterThanOrEqual(3);
    expect(v('forbidden', '403')).toBeGreaterThanOrEqual(5);
  });
});
