// vk-provider as a Virtual Kubelet node, end to end: a real control plane (etcd,
// kube-apiserver, controller-manager, scheduler from tools/testenv), the demo's
// services as real processes (RouterOS simulator, registry, ipam,
// storage-converter, boot-supervisor) and vk-provider in cluster mode. Pods go in
// with `kubectl apply`, the scheduler binds them to our node, and everything is
// checked the way a user would: kubectl, events, and the router's own REST view.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CertificatesV1Api, CoordinationV1Api, type CoreV1Api } from '@kubernetes/client-node';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { freePort, waitFor, type ProcessHandle } from '@mikrotik-kube/test-support';
import { requireControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { podNetwork, type Stack } from '@mikrotik-kube/demo-stack';
import { startClusterStack, type ClusterStack } from './support/cluster-stack';
import { onRouter } from '../support/on-router';

const skip = requireControlPlane();
if (skip) console.warn(`[vk-cluster pods] SKIPPED: ${skip}`);

const NODE = `vk-pods-${process.pid}`;
const IMAGE = 'registry.local:5000/demo/app:1';

const podYaml = (name: string, extra: { env?: unknown[]; annotations?: Record<string, string> } = {}) =>
  stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', ...(extra.annotations ? { annotations: extra.annotations } : {}) },
    spec: {
      ...onRouter,
      containers: [{ name: 'app', image: IMAGE, args: ['--serve'], ...(extra.env ? { env: extra.env } : {}) }],
    },
  });

describe.skipIf(!!skip)(`vk-provider cluster mode: pods${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cs: ClusterStack;
  let cp: ControlPlane;
  let stack: Stack;
  let vk: ProcessHandle;
  let core: CoreV1Api;
  let certificates: CertificatesV1Api;
  let coordination: CoordinationV1Api;
  let router: RouterOsClient;
  let opsPort: number;
  let kubectlBin: string;

  const kubectl = (...args: string[]) => cs.kubectl(...args);
  const apply = (yaml: string) => cs.apply(yaml);
  const readPod = (name: string) => core.readNamespacedPod({ name, namespace: 'default' });
  const runningPod = (name: string, timeoutMs = 90_000) =>
    waitFor(async () => {
      const p = await readPod(name).catch(() => undefined);
      return p?.status?.phase === 'Running' && p.status.podIP && p.status.containerStatuses?.[0]?.ready ? p : undefined;
    }, timeoutMs);
  const routerContainer = async (ns: string, pod: string) => (await router.containers.list()).find((c) => c.name === `${ns}_${pod}_app`);
  const reasons = async (pod: string) =>
    (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.name=${pod}` })).items.map((e) => e.reason ?? '');

  const startReplica = (...args: string[]) => cs.startReplica(...args);
  async function startVk(): Promise<void> {
    vk = await startReplica();
  }
  const leaderLease = () => coordination.readNamespacedLease({ name: `mikrotik-kube-vk-${NODE}`, namespace: 'default' });

  beforeAll(async () => {
    // A pod network of its own (emulated containers: loopback).
    cs = await startClusterStack(NODE, { network: podNetwork(22 + (process.pid % 200), Math.floor(Math.random() * 250)) });
    ({ cp, stack, core, router, opsPort, kubectlBin } = cs);
    certificates = cs.kc.makeApiClient(CertificatesV1Api);
    coordination = cs.kc.makeApiClient(CoordinationV1Api);
    await startVk();
    await cs.nodeReady();
  }, 400_000);

  // Its own http port: a second process of the same config would clash on the ops port.
  const ops = async () => ['--http.port', String(await freePort())];

  afterAll(async () => {
    if (process.env.VK_E2E_DEBUG) console.log(vk?.output());
    await vk?.stop();
    await cs?.stop();
  }, 90_000);

  it('runs a pod applied with kubectl: scheduled to our node, Running with an IP, env from a ConfigMap, a Secret and fields', async () => {
    await apply(
      [
        stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-config', namespace: 'default' }, data: { MODE: 'production', LEVEL: 'debug' } }),
        stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'web-secret', namespace: 'default' }, stringData: { token: 's3cr3t value' } }),
        podYaml('web', {
          env: [
            { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'web-config', key: 'MODE' } } },
            { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'web-secret', key: 'token' } } },
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
            { name: 'GREETING', value: 'hello $(POD_NAME)' },
          ],
        }),
      ].join('---\n'),
    );
    const pod = await runningPod('web');
    expect(pod.spec?.nodeName).toBe(NODE);
    expect(pod.status?.hostIP).toBe('127.0.0.1');
    expect(pod.status?.podIP?.startsWith(stack.ctx.network.cidr.split('.').slice(0, 3).join('.'))).toBe(true);
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({ name: 'app', ready: true, restartCount: 0, started: true });
    expect(pod.status?.containerStatuses?.[0]?.containerID).toMatch(/^routeros:\/\/\*/);
    expect(pod.status?.startTime).toBeTruthy();

    // What a user sees.
    const wide = await kubectl('get', 'pod', 'web', '-o', 'wide', '--no-headers');
    const cols = wide.trim().split(/\s+/);
    expect(cols.slice(0, 3)).toEqual(['web', '1/1', 'Running']);
    expect(cols).toContain(pod.status?.podIP);
    expect(cols).toContain(NODE);

    // On the router: the container on the pod's veth, its env (inline, or an env list) resolved as the kubelet would.
    const c = await routerContainer('default', 'web');
    expect(c?.state).toBe('running');
    const listed = (await router.containers.envs.list()).filter((e) => e.list === c?.name).map((e) => [e.key, e.value]);
    const env = Object.fromEntries([...(c?.env ?? []), ...listed]);
    expect(env).toEqual({ MODE: 'production', TOKEN: 's3cr3t value', POD_NAME: 'web', POD_IP: pod.status?.podIP, GREETING: 'hello web' });
  }, 150_000);

  it('records the kubelet events: Pulling, Pulled, Created, Started', async () => {
    const seen = await waitFor(async () => {
      const r = await reasons('web');
      return ['Pulling', 'Pulled', 'Created', 'Started'].every((x) => r.includes(x)) ? r : undefined;
    }, 30_000);
    expect(seen).toEqual(expect.arrayContaining(['Pulling', 'Pulled', 'Created', 'Started']));
    const described = await kubectl('describe', 'pod', 'web');
    expect(described).toMatch(/Started\s+.*Started container app/);
  });

  it('serves kubectl logs through the API server once its serving certificate is approved', async () => {
    // What an admin does: find the node's pending kubelet-serving CSR and approve it.
    const csr = await waitFor(async () => {
      const list = await certificates.listCertificateSigningRequest({ labelSelector: `mikrotik.io/node=${NODE}` });
      return list.items.find((x) => !x.status?.certificate);
    }, 30_000);
    expect(csr.spec.signerName).toBe('kubernetes.io/kubelet-serving');
    expect(csr.spec.usages).toEqual(expect.arrayContaining(['digital signature', 'server auth']));
    await kubectl('certificate', 'approve', csr.metadata?.name ?? '');
    await vk.waitForLine(/"message":"kubelet API listening"/, 30_000);

    const name = (await routerContainer('default', 'web'))?.name ?? '';
    const inject = (lines: string[]) =>
      fetch(`${stack.ctx.urls['simAdmin']}/containers/${name}/output`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ lines }) });
    expect((await inject(['serving on :8080', 'GET / 200', 'GET /healthz 200'])).ok).toBe(true);
    expect(await kubectl('logs', 'web')).toBe('serving on :8080\nGET / 200\nGET /healthz 200\n');
    expect(await kubectl('logs', 'web', '--tail', '1')).toBe('GET /healthz 200\n');
    const stamped = (await kubectl('logs', 'web', '--timestamps', '--tail', '1')).trim();
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z GET \/healthz 200$/);
    // kubectl's own errors for what is not ours.
    await expect(kubectl('logs', 'web', '-c', 'nope')).rejects.toThrow(/container nope is not valid for pod web/);

    // follow: a line written after the request started arrives on the open stream.
    const follow = execFile(kubectlBin, ['--kubeconfig', cp.kubeconfig, 'logs', '-f', 'web', '--tail', '0']);
    let streamed = '';
    follow.stdout?.on('data', (b: Buffer) => (streamed += b.toString()));
    try {
      await new Promise((r) => setTimeout(r, 1500));
      await inject(['after follow started']);
      await waitFor(() => streamed.includes('after follow started') || undefined, 15_000);
    } finally {
      follow.kill();
    }
  }, 90_000);

  it('holds a pod whose ConfigMap is missing in CreateContainerConfigError, and runs it once the ConfigMap exists', async () => {
    await apply(podYaml('late', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'late-config', key: 'x' } } }] }));
    const waiting = await waitFor(async () => {
      const p = await readPod('late').catch(() => undefined);
      const w = p?.status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    }, 60_000);
    expect(waiting.message).toMatch(/configmap "late-config" not found/);
    expect(await routerContainer('default', 'late')).toBeUndefined();
    await apply(stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'late-config', namespace: 'default' }, data: { x: '1' } }));
    await runningPod('late');
  }, 150_000);

  it('writes ConfigMap and Secret volumes as files of the pod on the router and follows a ConfigMap edit; the token volume gets a quiet note', async () => {
    const conf = (greeting: string) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'files-config', namespace: 'default' }, data: { greeting } });
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'files', namespace: 'default' },
      spec: {
        ...onRouter,
        containers: [{ name: 'app', image: IMAGE, args: ['--serve'], volumeMounts: [{ name: 'config', mountPath: '/etc/app' }, { name: 'secret', mountPath: '/run/secret' }] }],
        volumes: [{ name: 'config', configMap: { name: 'files-config' } }, { name: 'secret', secret: { secretName: 'files-secret' } }],
      },
    };
    await apply([conf('hello'), stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'files-secret', namespace: 'default' }, stringData: { token: 's3cret' } }), stringify(pod)].join('---\n'));
    const running = await runningPod('files');
    const files = async () =>
      Object.fromEntries(
        await Promise.all(
          (await router.files.list()).flatMap((f) => {
            const m = /\/default\/files\/((?:config|secret)\/[^/]+)$/.exec(f.name);
            // A listing carries no contents; reading the file alone does.
            return m ? [router.files.find(f.name).then((one) => [m[1], one?.raw['contents']])] : [];
          }),
        ),
      );
    expect(await files()).toEqual({ 'config/greeting': 'hello', 'secret/token': 's3cret' });
    const notes = running.status?.conditions?.find((c) => c.type === 'mikrotik.io/UnsupportedFields')?.message ?? '';
    expect(notes).toMatch(/kube-api-access-\w+\): the service account token is not mounted/);
    expect(notes).not.toMatch(/projected/);
    const id = (await routerContainer('default', 'files'))?.id;
    await apply(conf('bye'));
    await waitFor(async () => (await files())['config/greeting'] === 'bye', 30_000, 250);
    expect((await routerContainer('default', 'files'))?.id).toBe(id);
    // The later cases count the pods on the node.
    await kubectl('delete', 'pod', 'files', '--wait=true', '--timeout=60s');
  }, 150_000);

  it('reports a crash as the kubelet does: BackOff event, then Running again with restartCount 1', async () => {
    const crashed = await fetch(`${stack.ctx.urls['simAdmin']}/containers/default_late_app/crash`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ exitCode: 1 }),
    });
    expect(crashed.ok).toBe(true);
    const pod = await waitFor(async () => {
      const p = await readPod('late');
      const s = p.status?.containerStatuses?.[0];
      return s?.restartCount === 1 && s.ready ? p : undefined;
    }, 60_000);
    expect(pod.status?.phase).toBe('Running');
    expect(await reasons('late')).toEqual(expect.arrayContaining(['BackOff', 'Started']));
    const backOff = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=late,reason=BackOff' })).items[0];
    expect(backOff?.type).toBe('Warning');
    expect(backOff?.involvedObject.fieldPath).toBe('spec.containers{app}');
  }, 90_000);

  it('recreates a pod whose definition changed (a mikrotik.io annotation), keeping its address', async () => {
    const before = await readPod('late');
    const oldId = (await routerContainer('default', 'late'))?.id;
    await kubectl('annotate', 'pod', 'late', 'mikrotik.io/boot-priority=5');
    const after = await waitFor(async () => {
      const c = await routerContainer('default', 'late');
      if (!c || c.id === oldId) return undefined;
      const p = await readPod('late');
      return p.status?.containerStatuses?.[0]?.ready && p.status.containerStatuses[0].containerID === `routeros://${c.id}` ? p : undefined;
    }, 60_000);
    expect(after.status?.podIP).toBe(before.status?.podIP);
    const killing = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=late,reason=Killing' })).items;
    expect(killing.map((e) => e.message)).toContain('Stopping container app: its definition changed, it will be created again');
  }, 90_000);

  it('serves /stats/summary and /metrics/resource to a scraper that finds the kubelet as metrics-server does, with the usage the router reports', async () => {
    // Not through the API server's node proxy: it refuses loopback node addresses ("address not
    // allowed"), and this node's InternalIP is 127.0.0.1. metrics-server dials the kubelet at the
    // node's address and daemon port itself; we do the same with the API server's kubelet client
    // certificate. The router runs 7.23, which reports container usage.
    const set = await fetch(`${stack.ctx.urls['simAdmin']}/containers/default_web_app/usage`, { method: 'POST', body: JSON.stringify({ memoryBytes: 41_943_040, cpuPercent: 20 }) });
    expect(set.status).toBe(200);
    const cores = (await router.system.resource()).cpuCount;
    const web = await readPod('web');
    const node = await core.readNode({ name: NODE });
    const host = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port;
    const pki = (f: string) => readFileSync(join(cp.dir, 'pki', f));
    const { request: httpsRequest } = await import('node:https');
    const scrape = (path: string) =>
      new Promise<string>((resolve, reject) => {
        httpsRequest({ host, port, path, ca: pki('ca.crt'), cert: pki('apiserver-kubelet-client.crt'), key: pki('apiserver-kubelet-client.key'), agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${path}: ${res.statusCode} ${body}`))));
        })
          .on('error', reject)
          .end();
      });

    const summary = JSON.parse(await scrape('/stats/summary')) as {
      node: { nodeName: string; memory: { workingSetBytes: number }; fs: { capacityBytes: number } };
      pods: { podRef: { name: string; namespace: string; uid: string }; containers: { name: string; cpu?: { usageNanoCores: number }; memory?: { workingSetBytes: number } }[] }[];
    };
    expect(summary.node.nodeName).toBe(NODE);
    expect(summary.node.memory.workingSetBytes).toBeGreaterThan(0);
    expect(summary.node.fs.capacityBytes).toBeGreaterThan(0);
    const entry = summary.pods.find((p) => p.podRef.name === 'web');
    expect(entry?.podRef).toEqual({ name: 'web', namespace: 'default', uid: web.metadata?.uid });
    const app = entry?.containers.find((c) => c.name === 'app');
    expect(app).toBeDefined();
    expect(app?.memory?.workingSetBytes).toBe(41_943_040);
    expect(app?.cpu?.usageNanoCores).toBe(0.2 * cores * 1e9);

    const text = await scrape('/metrics/resource');
    expect(text).toMatch(/^node_cpu_usage_seconds_total [\d.e+-]+ \d{13}$/m);
    expect(text).toMatch(/^node_memory_working_set_bytes \d+ \d{13}$/m);
    expect(text).toMatch(/^container_start_time_seconds\{container="app",namespace="default",pod="web"\} [\d.]+ \d{13}$/m);
    expect(text).toMatch(/^resource_scrape_error 0$/m);
    const mem = /^container_memory_working_set_bytes\{container="app",namespace="default",pod="web"\} (\d+) \d{13}$/m.exec(text)?.[1];
    expect(mem).toBe('41943040');
    expect(text).toMatch(/^pod_cpu_usage_seconds_total\{namespace="default",pod="web"\} /m);
  });

  it('looks right in kubectl describe node', async () => {
    const out = await kubectl('describe', 'node', NODE);
    expect(out).toMatch(/Roles:\s+agent/);
    expect(out).toMatch(/Taints:\s+virtual-kubelet\.io\/provider=mikrotik:NoSchedule/);
    expect(out).toMatch(/Ready\s+True\s.*RouterReady/);
    expect(out).toMatch(/MemoryPressure\s+False\s.*RouterHasSufficientMemory/);
    expect(out).toMatch(/DiskPressure\s+False\s.*RouterHasNoDiskPressure/);
    expect(out).toMatch(/InternalIP:\s+127\.0\.0\.1/);
    expect(out).toMatch(/Operating System:\s+linux/);
    expect(out).toMatch(/OS Image:\s+RouterOS /);
    expect(out).toMatch(/Non-terminated Pods:\s+\(2 in total\)/);
    expect(out).toMatch(/default\s+web\s/);
  });

  it('exports what it does on /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
    // Every series also carries service="vk-provider" (service-kit's default label).
    const value = (name: string, labels: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && labels.split(',').every((kv) => l.includes(kv)));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
    };
    expect(value('mikrotik_kube_vk_pods', 'phase="Running"')).toBe(2);
    expect(value('mikrotik_kube_vk_reconcile_passes_total', 'result="ok"')).toBeGreaterThan(0);
    expect(value('mikrotik_kube_vk_pod_operations_total', 'operation="created"')).toBeGreaterThan(0);
    expect(value('mikrotik_kube_vk_pod_status_writes_total', 'result="written"')).toBeGreaterThan(0);
    expect(value('mikrotik_kube_vk_leader', `node="${NODE}"`)).toBe(1);
    expect(value('mikrotik_kube_vk_kubelet_api_requests_total', 'route="containerLogs",code="200"')).toBeGreaterThan(0);
  });

  it('a second replica stands by, and takes over when the leader stops', async () => {
    const holder = (await leaderLease()).spec?.holderIdentity;
    expect(holder).toBeTruthy();
    const pending = async () => (await certificates.listCertificateSigningRequest({ labelSelector: `mikrotik.io/node=${NODE}` })).items.filter((x) => !x.status?.certificate);
    const standby = await startReplica(...(await ops()));
    try {
      // A standby asks for its serving certificate at once: approved now, it can serve the moment it leads.
      const csr = await waitFor(async () => (await pending())[0], 20_000);
      await kubectl('certificate', 'approve', csr.metadata?.name ?? '');
      await new Promise((r) => setTimeout(r, 2000));
      // Still the first one's, and the standby does nothing (no pass, no node writes).
      expect((await leaderLease()).spec?.holderIdentity).toBe(holder);
      expect(standby.output()).not.toMatch(/"message":"(node updated|pods listed)"/);
      expect((await vk.stop()).code).toBe(0);
      // Released on SIGTERM: the standby leads at once, and adopts the pods as they are.
      await standby.waitForLine(/"message":"pods listed"/, 20_000);
      const lease = await leaderLease();
      expect(lease.spec?.holderIdentity).not.toBe(holder);
      expect(lease.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
      await runningPod('web', 30_000);
      expect(standby.output()).not.toMatch(/"message":"container created"/);
      // Its first pass may still be adopting web (nothing says when it ends): logs come from the
      // router by the container's tag meanwhile, so they are there once the API listens.
      await standby.waitForLine(/"message":"kubelet API listening"/, 10_000);
      expect(await kubectl('logs', 'web', '--tail', '1')).toMatch(/\S/);
    } finally {
      expect((await standby.stop()).code).toBe(0);
    }
    await startVk();
  }, 120_000);

  it('turns the node NotReady when vk-provider stops, and on restart adopts the running pods without recreating them', async () => {
    const before = await readPod('web');
    const id = (await routerContainer('default', 'web'))?.id;
    expect((await vk.stop()).code).toBe(0);
    // The node lifecycle controller notices the lease is no longer renewed.
    await waitFor(async () => {
      const n = await core.readNode({ name: NODE });
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
      return ready?.status === 'Unknown' || undefined;
    }, 60_000);
    expect((await routerContainer('default', 'web'))?.state).toBe('running');

    await startVk();
    const after = await waitFor(async () => {
      const n = await core.readNode({ name: NODE });
      if (!n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) return undefined;
      const p = await readPod('web');
      return p.status?.containerStatuses?.[0]?.ready ? p : undefined;
    }, 60_000);
    // Same container on the router, same start, same address: adopted, not recreated.
    expect((await routerContainer('default', 'web'))?.id).toBe(id);
    expect(after.status?.podIP).toBe(before.status?.podIP);
    expect(String(after.status?.startTime)).toBe(String(before.status?.startTime));
    expect(String(after.status?.containerStatuses?.[0]?.state?.running?.startedAt)).toBe(String(before.status?.containerStatuses?.[0]?.state?.running?.startedAt));
    expect(vk.output()).not.toMatch(/"message":"container created"/);
  }, 150_000);

  it('removes nothing from the router while the API server cannot be reached', async () => {
    expect((await vk.stop()).code).toBe(0);
    const before = (await router.containers.list()).map((c) => c.id).sort();
    // The same cluster, but an address where nothing listens.
    const dead = join(stack.ctx.dataDir, 'dead.kubeconfig');
    const closed = await freePort();
    writeFileSync(dead, readFileSync(cp.kubeconfig, 'utf8').replace(/server: https:\/\/127\.0\.0\.1:\d+/, `server: https://127.0.0.1:${closed}`));
    const cut = await startReplica(...(await ops()), '--kubeconfig', dead, '--cluster.leader-election.enabled', 'false');
    try {
      await cut.waitForLine(/"message":"pod watch failed; listing again"/, 30_000);
      // Longer than a resync period (5 s): passes had every chance to remove something.
      await new Promise((r) => setTimeout(r, 7000));
      expect((await router.containers.list()).map((c) => c.id).sort()).toEqual(before);
      expect(cut.output()).not.toMatch(/"message":"pod removed from the router"/);
    } finally {
      expect((await cut.stop()).code).toBe(0);
    }
    await startVk();
  }, 90_000);

  it('kubectl delete stops and removes the container, its env and its veth, then the pod goes', async () => {
    const pod = await readPod('web');
    const c = await routerContainer('default', 'web');
    expect(c).toBeDefined();
    await kubectl('delete', 'pod', 'web', '--wait=true', '--timeout=60s');
    await expect(readPod('web')).rejects.toThrow();
    expect(await routerContainer('default', 'web')).toBeUndefined();
    expect((await router.containers.envs.list()).filter((e) => e.list === c?.name)).toEqual([]);
    const veths = await router.veths.list();
    expect(veths.filter((v) => v.addresses.some((a) => a.split('/')[0] === pod.status?.podIP))).toEqual([]);
    expect(await reasons('web')).toContain('Killing');
    // The other pod is untouched.
    expect((await routerContainer('default', 'late'))?.state).toBe('running');
  }, 90_000);
});
