// vk-provider in cluster mode against a real control plane (etcd, kube-apiserver,
// controller-manager, scheduler from tools/testenv) and the RouterOS simulator, both
// real processes: the Node is registered with our labels, taint, capacity and
// Ready=True, its pending serving CSR shows as a condition and Events until it is approved,
// its Lease is renewed, and a router that stops answering turns Ready False.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CertificatesV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Lease, type V1Node } from '@kubernetes/client-node';
import { freePort, startTsProcess, waitFor, type ProcessHandle } from '@mikrotik-kube/test-support';
import { requireControlPlane, startControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const skip = requireControlPlane();
if (skip) console.warn(`[vk-cluster] SKIPPED: ${skip}`);

const NODE = `vk-e2e-${process.pid}`;
// client-node hands MicroTime fields back as strings, whatever the type says.
const renewedMs = (l: V1Lease) => new Date(String(l.spec?.renewTime ?? 0)).getTime();
const ready = (n: V1Node) => n.status?.conditions?.find((c) => c.type === 'Ready');

describe.skipIf(!!skip)(`vk-provider cluster mode: node and lease${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  let sim: ProcessHandle;
  let vk: ProcessHandle;
  let core: CoreV1Api;
  let coordination: CoordinationV1Api;
  let certs: CertificatesV1Api;
  let dataDir: string;
  let routerUrl: string;
  let opsUrl: string;
  let restPort: number;
  let opsPort: number;
  let kubeletPort: number;

  async function startSim(): Promise<void> {
    // The same data dir and port on a restart: the same router coming back.
    sim = startTsProcess('libs/routeros-sim/src/cli.ts', {
      args: ['--rest-port', String(restPort), '--data-dir', join(dataDir, 'router'), '--user', 'admin', '--password', 'pw', '--arch', 'x86'],
    });
    await sim.waitForLine(/routeros-sim ready/, 60_000);
  }

  async function startVk(): Promise<void> {
    vk = startTsProcess('apps/vk-provider/src/main.ts', {
      env: cp.childEnv(),
      args: [
        '--routeros.url', routerUrl, '--routeros.user', 'admin', '--routeros.password', 'pw', '--routeros.timeout-ms', '2000',
        '--kubeconfig', cp.kubeconfig, '--node-name', NODE, '--cluster.max-pods', '33',
        '--cluster.ping-seconds', '1', '--cluster.status-seconds', '3', '--cluster.lease-duration-seconds', '4',
        '--http.host', '127.0.0.1', '--http.port', String(opsPort),
        '--kubelet.host', '127.0.0.1', '--kubelet.port', String(kubeletPort),
      ],
    });
    await vk.waitForLine(/"message":"cluster mode"/, 60_000);
  }

  const readyStatus = async () => ready(await core.readNode({ name: NODE }))?.status;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'vk-cluster-'));
    cp = await startControlPlane();
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    coordination = kc.makeApiClient(CoordinationV1Api);
    certs = kc.makeApiClient(CertificatesV1Api);

    // An x86 CHR: its architecture-name must become kubernetes.io/arch=amd64.
    restPort = await freePort();
    opsPort = await freePort();
    kubeletPort = await freePort();
    routerUrl = `http://127.0.0.1:${restPort}/rest`;
    opsUrl = `http://127.0.0.1:${opsPort}`;
    await startSim();
    await startVk();
  }, 360_000);

  afterAll(async () => {
    // VK_E2E_DEBUG=1 prints what vk-provider logged (why a node or lease did not show up).
    if (process.env.VK_E2E_DEBUG) console.log(vk?.output());
    await vk?.stop();
    await sim?.stop();
    await cp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('registers the node with our labels, taint, capacity, nodeInfo and Ready=True', async () => {
    const node = await waitFor(async () => {
      const n = await core.readNode({ name: NODE }).catch(() => undefined);
      return n && ready(n)?.status === 'True' ? n : undefined;
    }, 30_000);
    expect(node.metadata?.labels).toMatchObject({
      type: 'virtual-kubelet',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': NODE,
    });
    expect(node.spec?.taints).toContainEqual({ key: 'virtual-kubelet.io/provider', value: 'mikrotik', effect: 'NoSchedule' });
    // What the simulator's /system/resource says, read by us through REST.
    const res = (await (await fetch(`${routerUrl}/system/resource`, { headers: { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` } })).json()) as Record<string, string>;
    expect(node.status?.capacity).toEqual({ cpu: res['cpu-count'], memory: res['total-memory'], pods: '33' });
    expect(node.status?.allocatable).toEqual(node.status?.capacity);
    expect(node.status?.nodeInfo?.architecture).toBe('amd64');
    expect(node.status?.nodeInfo?.operatingSystem).toBe('linux');
    expect(node.status?.nodeInfo?.osImage).toBe(`RouterOS ${res['version']}`);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    expect(ready(node)?.reason).toBe('RouterReady');
    const vkReady = await fetch(`${opsUrl}/readyz`);
    expect(vkReady.status).toBe(200);
  });

  it('shows its pending serving CSR as a Node condition and Event (and on its status page) until it is approved and issued', async () => {
    const servingCsr = (n: V1Node) => n.status?.conditions?.find((c) => c.type === 'mikrotik.io/ServingCertificatePending');
    const nodeEvent = (reason: string, text: string) =>
      waitFor(async () => (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: `involvedObject.kind=Node,involvedObject.name=${NODE}` })).items.find((e) => e.reason === reason && e.message?.includes(text)), 20_000);
    const csr = await waitFor(async () => (await certs.listCertificateSigningRequest({ labelSelector: `mikrotik.io/node=${NODE}` })).items[0], 20_000);
    const name = csr.metadata?.name as string;
    const pending = await waitFor(async () => {
      const n = await core.readNode({ name: NODE });
      return servingCsr(n)?.status === 'True' ? servingCsr(n) : undefined;
    }, 20_000);
    expect(pending).toMatchObject({ reason: 'AwaitingApproval' });
    expect(pending?.message).toContain(`kubectl certificate approve ${name}`);
    expect(pending?.message).toContain('kubelet-csr-approver');
    const event = await nodeEvent('ServingCSRPending', name);
    expect(event).toMatchObject({ type: 'Normal', involvedObject: { kind: 'Node', name: NODE }, source: { component: 'mikrotik-kube-vk' } });
    expect(await (await fetch(`${opsUrl}/metrics`)).text()).toMatch(/^mikrotik_kube_vk_serving_csr_pending(\{[^}]*\})? 1$/m);
    // The ops port's status page carries the same event; its pod API has no specs in cluster mode.
    const page = await (await fetch(`${opsUrl}/`)).text();
    expect(page).toContain(`mikrotik-kube · node ${NODE}`);
    expect(page).toMatch(new RegExp(`data-reason="ServingCSRPending" data-object="node/${NODE}"`));
    expect(await (await fetch(`${opsUrl}/api/v1/pods`)).json()).toMatchObject({ kind: 'PodList', items: [] });

    await certs.replaceCertificateSigningRequestApproval({
      name,
      body: { ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'TestApproved', message: 'approved by the node test' }] } },
    });
    const issued = await waitFor(async () => {
      const n = await core.readNode({ name: NODE });
      return servingCsr(n)?.status === 'False' ? servingCsr(n) : undefined;
    }, 30_000);
    expect(issued).toMatchObject({ reason: 'CertificateIssued' });
    expect(issued?.message).toMatch(new RegExp(`serving certificate from CSR ${name}, valid until \\d{4}-`));
    expect(new Date(String(issued?.lastTransitionTime)).getTime()).toBeGreaterThanOrEqual(new Date(String(pending?.lastTransitionTime)).getTime());
    await nodeEvent('ServingCertificateIssued', name);
    expect(await (await fetch(`${opsUrl}/metrics`)).text()).toMatch(/^mikrotik_kube_vk_serving_csr_pending(\{[^}]*\})? 0$/m);
    await vk.waitForLine(/"message":"kubelet API listening"/, 10_000);
  });

  it('renews its lease in kube-node-lease, owned by the node', async () => {
    const first = await waitFor(() => coordination.readNamespacedLease({ name: NODE, namespace: 'kube-node-lease' }).catch(() => undefined), 20_000);
    expect(first.spec?.holderIdentity).toBe(NODE);
    expect(first.spec?.leaseDurationSeconds).toBe(4);
    const node = await core.readNode({ name: NODE });
    expect(first.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'Node', name: NODE, uid: node.metadata?.uid })]);
    const t0 = renewedMs(first);
    const later = await waitFor(async () => {
      const l = await coordination.readNamespacedLease({ name: NODE, namespace: 'kube-node-lease' });
      return renewedMs(l) > t0 ? l : undefined;
    }, 10_000);
    expect(renewedMs(later)).toBeGreaterThan(t0);
  });

  it('turns Ready False when the router stops answering, and keeps the lease alive', async () => {
    await sim.stop();
    const node = await waitFor(async () => {
      const n = await core.readNode({ name: NODE });
      return ready(n)?.status === 'False' ? n : undefined;
    }, 30_000);
    expect(ready(node)?.reason).toBe('RouterUnreachable');
    expect(ready(node)?.message).toMatch(/does not answer/);
    // Capacity stays what the router last said.
    expect(node.status?.capacity?.['pods']).toBe('33');
    const t0 = renewedMs(await coordination.readNamespacedLease({ name: NODE, namespace: 'kube-node-lease' }));
    await waitFor(async () => renewedMs(await coordination.readNamespacedLease({ name: NODE, namespace: 'kube-node-lease' })) > t0 || undefined, 10_000);
    expect(vk.output()).toMatch(/"message":"router does not answer"/);
  });

  it('turns Ready True again when the router answers again', async () => {
    await startSim();
    await waitFor(async () => (await readyStatus()) === 'True', 30_000);
    expect(ready(await core.readNode({ name: NODE }))?.reason).toBe('RouterReady');
  });

  it('on restart, updates the existing node and keeps what others set on it', async () => {
    const foreignTaint = { key: 'example.com/maintenance', value: 'yes', effect: 'NoSchedule' };
    const foreignCondition = { type: 'example.com/Checked', status: 'True', reason: 'Checked', message: 'set by the test' };
    // SIGTERM: the loops stop and the process exits cleanly.
    expect((await vk.stop()).code).toBe(0);
    const before = await core.readNode({ name: NODE });
    await core.patchNode(
      { name: NODE, body: { metadata: { labels: { 'kubernetes.io/arch': 'wrong' } }, spec: { taints: [...(before.spec?.taints ?? []), foreignTaint] } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNodeStatus({ name: NODE, body: { status: { conditions: [foreignCondition] } } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));

    await startVk();
    const node = await waitFor(async () => {
      const n = await core.readNode({ name: NODE });
      return n.metadata?.labels?.['kubernetes.io/arch'] === 'amd64' ? n : undefined;
    }, 30_000);
    expect(node.metadata?.uid).toBe(before.metadata?.uid);
    expect(node.spec?.taints).toContainEqual(foreignTaint);
    expect(node.spec?.taints?.filter((t) => t.key === 'virtual-kubelet.io/provider')).toHaveLength(1);
    // The first status push after the restart keeps the condition someone else owns.
    const t0 = new Date(String(ready(before)?.lastHeartbeatTime ?? 0)).getTime();
    const pushed = await waitFor(async () => {
      const n = await core.readNode({ name: NODE });
      return new Date(String(ready(n)?.lastHeartbeatTime ?? 0)).getTime() > t0 ? n : undefined;
    }, 30_000);
    expect(pushed.status?.conditions).toContainEqual(expect.objectContaining(foreignCondition));
    expect(vk.output()).toMatch(/"message":"node updated"/);
  }, 90_000);

  // Noticed at the next status push (cluster.statusSeconds, 3 s here).
  it('registers the node again when someone deletes it, with the lease owned by the new node', async () => {
    const old = await core.readNode({ name: NODE });
    await core.deleteNode({ name: NODE });
    const node = await waitFor(async () => {
      const n = await core.readNode({ name: NODE }).catch(() => undefined);
      return n && n.metadata?.uid !== old.metadata?.uid && ready(n)?.status === 'True' ? n : undefined;
    }, 30_000);
    expect(node.metadata?.labels?.['type']).toBe('virtual-kubelet');
    await waitFor(async () => {
      const l = await coordination.readNamespacedLease({ name: NODE, namespace: 'kube-node-lease' }).catch(() => undefined);
      return l?.metadata?.ownerReferences?.[0]?.uid === node.metadata?.uid || undefined;
    }, 20_000);
  });
});
