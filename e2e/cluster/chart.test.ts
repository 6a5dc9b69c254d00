// The chart in a real one-node cluster, through helm and kubectl only, as a user would: the
// cluster of tools/testenv/cluster.sh with this tree's image and the test sidecars imported into
// its containerd, two simulators inside its network namespace playing the router (REST on
// ROUTER_IP) and the RDS (SSH on RDS_IP), and `helm install` with the least values a user must
// give. One cluster for the whole file: each test builds on the install before it.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { busyboxImage, sshKeyPair, writeOciLayout } from '@mikrotik-kube/routeros-sim';
import { repoRoot, startProcess, waitFor, type ProcessHandle } from '@mikrotik-kube/test-support';
import { productImage, requireCluster, requireTestPeers, startCluster, testenvBin, testImages, type Cluster, type ImageArchive } from '@mikrotik-kube/testenv';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onRouter } from '../support/on-router';

const SIDECARS = ['csi-provisioner', 'csi-attacher', 'csi-resizer', 'csi-snapshotter', 'csi-node-driver-registrar', 'livenessprobe'] as const;

function skipReason(): string | undefined {
  const r = requireCluster() ?? requireTestPeers('helm', 'crane');
  if (r) return r;
  const product = productImage();
  if (!existsSync(product.archive)) return `no product image ${product.archive} (run \`make cluster-images\`)`;
  const test = testImages();
  const missing = SIDECARS.filter((n) => !test[n] || !existsSync(test[n].archive));
  if (missing.length) return `test images missing: ${missing.join(', ')} (run \`make test-images\`)`;
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`[cluster chart] SKIPPED: ${skip}`);

const NS = 'mk-system';
const RELEASE = 'mk';
const PASSWORD = 'chart-e2e-pw';
const VK_NODE = 'mikrotik';

interface Pod {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { nodeName?: string; nodeSelector?: Record<string, string>; tolerations?: Array<Record<string, string>> };
  status: { phase: string; podIP?: string; conditions?: Array<{ type: string; status: string }>; containerStatuses?: Array<{ name: string; ready: boolean; restartCount: number }> };
}
const ready = (p: Pod) => p.status.phase === 'Running' && p.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';

describe.skipIf(!!skip)(`the chart in a real one-node cluster, through helm and kubectl ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let cluster: Cluster;
  let dir: string;
  let router: ProcessHandle;
  let rds: ProcessHandle;
  let rdsHostKey: string;
  const images: Record<string, ImageArchive> = skip ? {} : testImages();
  const product = productImage();

  const run = (cmd: string, args: string[], input?: string) => cluster.exec(cmd, args, { input, timeoutMs: 600_000 });
  /** kubectl inside the cluster; throws with its stderr on failure. */
  const kubectl = (args: string[], input?: string): string => {
    const r = run(testenvBin('kubectl') as string, args, input);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} (${r.code}):\n${r.stderr}`);
    return r.stdout;
  };
  const json = <T>(args: string[]): T => JSON.parse(kubectl([...args, '-o', 'json'])) as T;
  const helm = (args: string[]) => run(testenvBin('helm') as string, args);
  const pods = (selector: string, ns = NS) => json<{ items: Pod[] }>(['-n', ns, 'get', 'pods', '-l', selector]).items;
  /** A simulated device's REST API (the router's or the RDS's), read as the services read it. */
  const rest = (ip: string, path: string): Array<Record<string, string>> => {
    const r = run('curl', ['-fsS', '--max-time', '10', '-u', `admin:${PASSWORD}`, `http://${ip}/rest/${path}`]);
    if (r.code !== 0) throw new Error(`GET ${ip} ${path}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Array<Record<string, string>>;
  };
  const restPut = (ip: string, path: string, body: Record<string, string>) => {
    const r = run('curl', ['-fsS', '--max-time', '10', '-u', `admin:${PASSWORD}`, '-X', 'PUT', '-H', 'content-type: application/json', '-d', JSON.stringify(body), `http://${ip}/rest/${path}`]);
    if (r.code !== 0) throw new Error(`PUT ${ip} ${path}: ${r.stderr}`);
  };
  /**
   * What a device holds, as identities per menu (no ids, no counters): what uninstall must leave
   * as it was. Files by name; the rest by the fields that say what the object is.
   */
  const IDENTITY: Record<string, string[]> = {
    container: ['name'],
    'container/envs': ['list', 'key'],
    'container/mounts': ['list', 'dst'],
    'interface/veth': ['name', 'address'],
    'interface/bridge': ['name'],
    'interface/bridge/port': ['bridge', 'interface'],
    'ip/address': ['address', 'interface'],
    'ip/firewall/nat': ['chain', 'action', 'comment'],
    file: ['name', 'type'],
    disk: ['slot', 'file-path'],
  };
  const deviceState = (ip: string, menus: string[]) =>
    menus.flatMap((m) => rest(ip, m).map((r) => `${m} ${(IDENTITY[m] as string[]).map((k) => `${k}=${r[k] ?? ''}`).join(' ')}`)).sort();
  const ROUTER_MENUS = ['container', 'container/envs', 'container/mounts', 'interface/veth', 'interface/bridge', 'interface/bridge/port', 'ip/address', 'ip/firewall/nat', 'file'];
  const RDS_MENUS = ['disk', 'file'];
  let routerBefore: string[] = [];
  let rdsBefore: string[] = [];
  const diagnose = () => {
    const all = run(testenvBin('kubectl') as string, ['get', 'pods', '-A', '-o', 'wide']).stdout;
    const described = run(testenvBin('kubectl') as string, ['-n', NS, 'describe', 'pods']).stdout;
    return `${all}\n${described.slice(-6000)}`;
  };

  /** A simulator inside the cluster's namespaces, listening on `host`. */
  async function startSim(name: string, host: string, extra: string[]): Promise<{ proc: ProcessHandle; line: string }> {
    const w = cluster.wrap(process.execPath, ['--import', 'tsx', join(repoRoot, 'libs/routeros-sim/src/cli.ts'), '--host', host, '--rest-port', '80', '--data-dir', join(dir, name), '--user', 'admin', '--password', PASSWORD, '--arch', 'x86', ...extra]);
    const proc = startProcess(w.command, w.args);
    const line = await proc.waitForLine(/routeros-sim ready/, 90_000);
    return { proc, line };
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mk-chart-e2e-'));
    cluster = await startCluster({ images: [product.archive, ...SIDECARS.map((n) => (images[n] as ImageArchive).archive)] });
    // The router runs pods' containers for real (runc, in a router namespace of its own).
    ({ proc: router } = await startSim('router', cluster.routerIp, ['--containers', 'real']));
    // What the router needs before the chart can use it (router configuration, not ipam's job):
    // the bridge of ipam's default network, with the network's gateway address.
    restPut(cluster.routerIp, 'interface/bridge', { name: 'containers' });
    restPut(cluster.routerIp, 'ip/address', { address: '172.20.0.1/16', interface: 'containers' });
    let line: string;
    // The RDS's NVMe/TCP face on the same address: the node's nvme stand-in dials it there.
    ({ proc: rds, line } = await startSim('rds', cluster.rdsIp, ['--ssh-port', '22', '--nvme-host', cluster.rdsIp]));
    rdsHostKey = /ssh-host-key=(SHA256:\S+)/.exec(line)?.[1] ?? '';
    expect(rdsHostKey).toMatch(/^SHA256:/);
  }, 600_000);

  afterAll(async () => {
    await router?.stop();
    await rds?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 180_000);

  it('helm install --wait with the least values a user gives: every pod Running and Ready, and helm test passes', () => {
    // The RDS takes csi-controller's key as RouterOS does: an uploaded public key, imported for the user.
    const key = sshKeyPair('chart-e2e');
    mkdirSync(join(dir, 'rds/files'), { recursive: true });
    writeFileSync(join(dir, 'rds/files/csi.pub'), key.public);
    const imp = run('curl', ['-fsS', '-u', `admin:${PASSWORD}`, '-H', 'content-type: application/json', '-d', '{"public-key-file":"csi.pub","user":"admin"}', `http://${cluster.rdsIp}/rest/user/ssh-keys/import`]);
    expect(imp.code, imp.stderr).toBe(0);

    // What a user does: a namespace, the two credentials Secrets, and values naming them.
    kubectl(['create', 'namespace', NS]);
    kubectl(['-n', NS, 'create', 'secret', 'generic', 'router-credentials', '--from-literal=username=admin', `--from-literal=password=${PASSWORD}`]);
    writeFileSync(join(dir, 'rds-key'), key.private);
    kubectl(['-n', NS, 'create', 'secret', 'generic', 'rds-ssh', `--from-file=ssh-privatekey=${join(dir, 'rds-key')}`]);
    const sidecar = (name: string) => {
      const ref = (images[name] as ImageArchive).ref;
      const at = ref.lastIndexOf(':');
      const [registry, ...repo] = ref.slice(0, at).split('/');
      return { image: { registry, repository: repo.join('/'), tag: ref.slice(at + 1) } };
    };
    const [registry, ...repo] = product.ref.slice(0, product.ref.lastIndexOf(':')).split('/');
    const values = {
      image: { registry, repository: repo.join('/'), tag: product.ref.slice(product.ref.lastIndexOf(':') + 1), pullPolicy: 'Never' },
      routeros: { url: `http://${cluster.routerIp}/rest`, existingSecret: 'router-credentials' },
      rds: { address: cluster.rdsIp, existingSecret: 'rds-ssh', hostKeys: [rdsHostKey] },
      // Not a value a user must give: this machine lacks CAP_SYS_RESOURCE, without which a mounted
      // ext4 (the default) cannot grow; xfs grows online with CAP_SYS_ADMIN alone.
      storageClass: { parameters: { fsType: 'xfs' } },
      csiController: {
        sidecars: {
          provisioner: sidecar('csi-provisioner'),
          attacher: sidecar('csi-attacher'),
          resizer: sidecar('csi-resizer'),
          snapshotter: sidecar('csi-snapshotter'),
          livenessProbe: sidecar('livenessprobe'),
        },
      },
      csiNode: { sidecars: { nodeDriverRegistrar: sidecar('csi-node-driver-registrar'), livenessProbe: sidecar('livenessprobe') } },
    };
    const valuesFile = join(dir, 'values.yaml');
    writeFileSync(valuesFile, stringify(values));

    // The devices as the user has them before the chart: what uninstall must leave behind.
    routerBefore = deviceState(cluster.routerIp, ROUTER_MENUS);
    rdsBefore = deviceState(cluster.rdsIp, RDS_MENUS);
    const install = helm(['install', RELEASE, join(repoRoot, 'charts/mikrotik-kube'), '-n', NS, '-f', valuesFile, '--wait', '--timeout', '6m']);
    expect(install.code, `${install.stderr}\n${diagnose()}`).toBe(0);
    expect(install.stdout).toContain(`kubectl get csr -l mikrotik.io/node=${VK_NODE}`);
    // helm --wait counts a DaemonSet ready with maxUnavailable (1) pods missing, which on one node is all of them.
    const rollout = run(testenvBin('kubectl') as string, ['-n', NS, 'rollout', 'status', `daemonset/${RELEASE}-mikrotik-kube-csi-node`, '--timeout=180s']);
    expect(rollout.code, `${rollout.stderr}\n${diagnose()}`).toBe(0);

    const ours = pods(`app.kubernetes.io/instance=${RELEASE}`);
    const components = new Set(ours.map((p) => p.metadata.labels?.['app.kubernetes.io/component']));
    expect([...components].sort()).toEqual(['boot-supervisor', 'csi-controller', 'csi-node', 'ipam', 'registry', 'storage-converter', 'vk-provider']);
    for (const p of ours) expect(ready(p), `${p.metadata.name}: ${JSON.stringify(p.status)}`).toBe(true);

    // Without --logs: helm fetches logs after the hook's delete policy removed a passed check (helm#9098).
    const test = helm(['test', RELEASE, '-n', NS, '--timeout', '3m']);
    expect(test.code, `${test.stdout}\n${test.stderr}`).toBe(0);
    expect(test.stdout).toMatch(/Phase:\s+Succeeded/);
  }, 600_000);

  it('the router node is Ready; after approving its serving CSR a pod runs on the router with an ipam address, and kubectl logs shows its output', async () => {
    const node = await waitFor(() => {
      const n = json<{ status: { conditions: Array<{ type: string; status: string }> }; spec: { taints?: Array<{ key: string }> } }>(['get', 'node', VK_NODE]);
      return n.status.conditions.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    }, 60_000, 1000);
    expect(node.spec.taints?.map((t) => t.key)).toContain('virtual-kubelet.io/provider');
    // As NOTES says: approve the pending serving CSRs of the node.
    const csrs = await waitFor(() => kubectl(['get', 'csr', '-l', `mikrotik.io/node=${VK_NODE}`, '-o', 'name']).trim(), 60_000, 1000);
    kubectl(['certificate', 'approve', ...csrs.split('\n')]);

    // An image in the chart's registry, pushed from the node as a user pushes from anywhere.
    const layout = join(dir, 'hello-image');
    await writeOciLayout(layout, busyboxImage({ architecture: 'amd64', cmd: ['/bin/sh'] }), '1');
    const registrySvc = `${RELEASE}-mikrotik-kube-registry`;
    const ip = kubectl(['-n', NS, 'get', 'svc', registrySvc, '-o', 'jsonpath={.spec.clusterIP}']).trim();
    const push = run(testenvBin('crane') as string, ['push', '--insecure', layout, `${ip}:5000/test/hello:1`]);
    expect(push.code, push.stderr).toBe(0);

    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hello', namespace: 'default' },
      // The one line the chart's RuntimeClass makes enough: its scheduling adds onRouter's selector and toleration.
      spec: {
        runtimeClassName: 'mikrotik',
        containers: [{ name: 'hello', image: `${registrySvc}.${NS}.svc:5000/test/hello:1`, command: ['/bin/sh', '-c', 'echo "hello from the router"; exec sleep 3600'] }],
      },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify(pod));
    const running = await waitFor(() => {
      const p = json<Pod>(['-n', 'default', 'get', 'pod', 'hello']);
      return ready(p) ? p : undefined;
    }, 240_000, 2000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${kubectl(['-n', 'default', 'describe', 'pod', 'hello'])}\n${diagnose()}`);
    });
    expect(running.spec.nodeName).toBe(VK_NODE);
    expect(running.spec.nodeSelector).toEqual(onRouter.nodeSelector);
    expect(running.spec.tolerations).toEqual(expect.arrayContaining(onRouter.tolerations));
    expect(running.status.podIP).toMatch(/^172\.20\.\d+\.\d+$/);
    // On the router: a running container and the veth that carries the pod's address.
    const containers = rest(cluster.routerIp, 'container');
    expect(containers.filter((c) => c.running === 'true')).toHaveLength(1);
    expect(rest(cluster.routerIp, 'interface/veth').map((v) => v.address)).toContain(`${running.status.podIP}/16`);
    const logs = await waitFor(() => {
      const r = run(testenvBin('kubectl') as string, ['-n', 'default', 'logs', 'hello']);
      return r.code === 0 && r.stdout.includes('hello from the router') ? r.stdout : undefined;
    }, 60_000, 2000);
    expect(logs).toContain('hello from the router');
  }, 420_000);

  it('a PVC of rds-nvme-tcp is Bound and mounted on the real node through csi-node; data survives a new pod; online expansion grows the filesystem; deleting the PVC removes the disk on the RDS', async () => {
    // This machine has no NVMe/TCP in its kernel: the node's nvme tool is the stand-in, which
    // dials the RDS's NVMe/TCP face and attaches the exported file disk it names as a loop device
    // (the node tooling a user would install, given to csi-node as extra volumes, env and config).
    const sys = join(dir, 'node-sys');
    mkdirSync(sys, { recursive: true });
    const standin = join(dir, 'standin-values.yaml');
    writeFileSync(
      standin,
      stringify({
        csiNode: {
          config: { sysfsRoot: sys, nvme: { bin: join(repoRoot, 'apps/csi-node/test/support/nvme') } },
          extraEnv: [
            { name: 'NVME_STANDIN_SYSFS', value: sys },
          ],
          extraVolumes: [
            { name: 'nvme-standin', hostPath: { path: repoRoot, type: 'Directory' } },
            { name: 'standin-state', hostPath: { path: dir, type: 'Directory' } },
          ],
          extraVolumeMounts: [
            { name: 'nvme-standin', mountPath: repoRoot, readOnly: true },
            { name: 'standin-state', mountPath: dir },
          ],
        },
      }),
    );
    const up = helm(['upgrade', RELEASE, join(repoRoot, 'charts/mikrotik-kube'), '-n', NS, '--reuse-values', '-f', standin, '--wait', '--timeout', '4m']);
    expect(up.code, `${up.stderr}\n${diagnose()}`).toBe(0);

    const pvc = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'rds-nvme-tcp', resources: { requests: { storage: '1Gi' } } } };
    // The product image has a shell; it runs as uid 1000, and fsGroup gives it the volume.
    const userPod = (name: string, script: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: {
        securityContext: { runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
        terminationGracePeriodSeconds: 1,
        containers: [{ name: 'app', image: product.ref, imagePullPolicy: 'Never', command: ['sh', '-c', script], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }],
      },
    });
    const readyPod = (name: string) =>
      waitFor(() => {
        const p = json<Pod>(['-n', 'default', 'get', 'pod', name]);
        return ready(p) ? p : undefined;
      }, 180_000, 1000).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}\n${kubectl(['-n', 'default', 'describe', 'pod', name])}\n${diagnose()}`);
      });
    const inPod = (name: string, cmd: string) => kubectl(['-n', 'default', 'exec', name, '--', 'sh', '-c', cmd]);

    kubectl(['apply', '-f', '-'], JSON.stringify(pvc));
    kubectl(['apply', '-f', '-'], JSON.stringify(userPod('writer', 'echo "written by the first pod" > /data/proof && exec sleep 3600')));
    const writer = await readyPod('writer');
    expect(writer.spec.nodeName).toBe(cluster.nodeName);
    const bound = json<{ spec: { volumeName: string }; status: { phase: string } }>(['-n', 'default', 'get', 'pvc', 'data']);
    expect(bound.status.phase).toBe('Bound');
    const pv = bound.spec.volumeName;
    // csi-node was registered with the kubelet by node-driver-registrar.
    const csiNode = json<{ spec: { drivers: Array<{ name: string }> | null } }>(['get', 'csinode', cluster.nodeName]);
    expect(csiNode.spec.drivers?.map((d) => d.name)).toContain('rds.csi.srvlab.io');
    // The disk exists on the RDS, exported over NVMe/TCP.
    const disks = () => rest(cluster.rdsIp, 'disk').filter((d) => (d['slot'] ?? '').includes(pv) || (d['file-path'] ?? '').includes(pv));
    expect(disks()).toHaveLength(1);
    expect(inPod('writer', 'mount | grep " /data "')).toMatch(/ xfs /);

    kubectl(['-n', 'default', 'delete', 'pod', 'writer', '--wait=true', '--timeout=120s']);
    kubectl(['apply', '-f', '-'], JSON.stringify(userPod('reader', 'exec sleep 3600')));
    await readyPod('reader');
    expect(inPod('reader', 'cat /data/proof')).toBe('written by the first pod\n');

    // Online expansion: the pod keeps running while the PVC grows to 2Gi.
    const sizeKb = () => Number(inPod('reader', "df -k /data | awk 'NR==2 {print $2}'").trim());
    const before = sizeKb();
    kubectl(['-n', 'default', 'patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    await waitFor(() => json<{ status: { capacity?: { storage?: string } } }>(['-n', 'default', 'get', 'pvc', 'data']).status.capacity?.storage === '2Gi', 180_000, 2000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${kubectl(['-n', 'default', 'describe', 'pvc', 'data'])}`);
    });
    const after = sizeKb();
    expect(after).toBeGreaterThan(before * 1.8);
    expect(inPod('reader', 'cat /data/proof')).toBe('written by the first pod\n');

    kubectl(['-n', 'default', 'delete', 'pod', 'reader', '--wait=true', '--timeout=120s']);
    kubectl(['-n', 'default', 'delete', 'pvc', 'data', '--wait=true', '--timeout=120s']);
    await waitFor(() => run(testenvBin('kubectl') as string, ['get', 'pv', pv]).code !== 0, 120_000, 1000);
    expect(disks()).toEqual([]);
  }, 900_000);

  it('helm upgrade scales components on their own: three ipam replicas Ready, two vk-provider with one leader, two csi-controller with one active', async () => {
    const up = helm(['upgrade', RELEASE, join(repoRoot, 'charts/mikrotik-kube'), '-n', NS, '--reuse-values', '--set', 'ipam.replicas=3', '--set', 'vkProvider.replicas=2', '--set', 'csiController.replicas=2', '--wait', '--timeout', '5m']);
    expect(up.code, `${up.stderr}\n${diagnose()}`).toBe(0);
    const byComponent = (c: string) => pods(`app.kubernetes.io/instance=${RELEASE},app.kubernetes.io/component=${c}`).filter(ready);
    expect(byComponent('ipam')).toHaveLength(3);
    const vk = byComponent('vk-provider').map((p) => p.metadata.name);
    expect(vk).toHaveLength(2);
    const holder = (lease: string) => json<{ spec: { holderIdentity?: string } }>(['-n', NS, 'get', 'lease', lease]).spec.holderIdentity ?? '';
    const vkLeader = await waitFor(() => vk.filter((n) => holder(`mikrotik-kube-vk-${VK_NODE}`).includes(n)), 60_000, 1000).then((l) => (l.length ? l : undefined));
    expect(vkLeader).toHaveLength(1);
    // Each CSI sidecar elects its leader among the controller replicas: one holds each Lease.
    const csi = byComponent('csi-controller').map((p) => p.metadata.name);
    expect(csi).toHaveLength(2);
    const leases = json<{ items: Array<{ metadata: { name: string }; spec: { holderIdentity?: string } }> }>(['-n', NS, 'get', 'lease']).items.filter((l) => csi.some((n) => l.spec.holderIdentity?.includes(n)));
    expect(leases.length).toBeGreaterThanOrEqual(3);
    for (const l of leases) expect(csi.filter((n) => l.spec.holderIdentity?.includes(n)), l.metadata.name).toHaveLength(1);
  }, 420_000);

  it("helm uninstall, with pods still on the router, leaves nothing of the release: the router as before but a router pod's hostPath data, the RDS as before, no object of the release in the cluster", async () => {
    // A second router pod with what the first lacks: env, an emptyDir and a hostPath volume.
    const registrySvc = `${RELEASE}-mikrotik-kube-registry`;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'vols', namespace: 'default' },
      spec: {
        ...onRouter,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'app',
            image: `${registrySvc}.${NS}.svc:5000/test/hello:1`,
            command: ['/bin/sh', '-c', 'echo "$GREETING" > /scratch/a && echo kept > /keep/b && exec sleep 3600'],
            // A comma does not fit RouterOS's inline env, so this pod's env is an env list the uninstall must remove.
            env: [{ name: 'GREETING', value: 'hi, there' }],
            volumeMounts: [
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'keep', mountPath: '/keep' },
            ],
          },
        ],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'keep', hostPath: { path: '/data/keep' } },
        ],
      },
    };
    kubectl(['apply', '-f', '-'], JSON.stringify(pod));
    await waitFor(() => ready(json<Pod>(['-n', 'default', 'get', 'pod', 'vols'])), 240_000, 2000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}\n${kubectl(['-n', 'default', 'describe', 'pod', 'vols'])}`);
    });
    const keep = 'disk1/mk-volumes/default/vols/keep';
    await waitFor(() => rest(cluster.routerIp, 'file').some((f) => f.name === `${keep}/b`), 60_000, 1000);
    const during = deviceState(cluster.routerIp, ROUTER_MENUS);
    // What the release made is there to be removed: containers, env, mounts, veths, tarballs.
    for (const m of ['container ', 'container/envs ', 'container/mounts ', 'interface/veth ', 'file name=disk1/mk-images/']) {
      expect(during.filter((l) => l.startsWith(m) && !routerBefore.includes(l)).length, m).toBeGreaterThan(0);
    }

    const manifest = helm(['get', 'manifest', RELEASE, '-n', NS]);
    expect(manifest.code, manifest.stderr).toBe(0);
    const objects = parseAllDocuments(manifest.stdout)
      .map((d) => d.toJS() as { kind?: string; apiVersion?: string; metadata?: { name: string; namespace?: string } } | null)
      .filter((o): o is { kind: string; apiVersion: string; metadata: { name: string; namespace?: string } } => !!o?.kind);
    expect(objects.length).toBeGreaterThan(20);

    const started = Date.now();
    const un = helm(['uninstall', RELEASE, '-n', NS, '--wait', '--timeout', '4m']);
    const seconds = Math.round((Date.now() - started) / 1000);
    expect(un.code, `${un.stdout}\n${un.stderr}\n${diagnose()}`).toBe(0);
    console.log(`[cluster chart] helm uninstall took ${seconds} s`);
    // The hook's log, printed by helm: it found the router clean at the end.
    expect(un.stderr).toContain('nothing of the release is left on the router');

    // The router: as before, but the hostPath volume's data (kept as on a pod's deletion).
    const kept = (l: string) => l === `file name=${keep}.persistent.mkvol type=.mkvol file` || l.startsWith(`file name=${keep} `) || l.startsWith(`file name=${keep}/`);
    const parents = ['disk1/mk-volumes', 'disk1/mk-volumes/default', 'disk1/mk-volumes/default/vols'].map((d) => `file name=${d} type=directory`);
    const after = deviceState(cluster.routerIp, ROUTER_MENUS);
    expect(after.filter((l) => !routerBefore.includes(l) && !kept(l) && !parents.includes(l))).toEqual([]);
    expect(routerBefore.filter((l) => !after.includes(l))).toEqual([]);
    expect(after).toContain(`file name=${keep}/b type=file`);
    // The RDS: as before (the PVC of the test before was deleted; no PV is left to keep a disk).
    // The volume base directory, made by the first disk put there, stays: it is the RDS's pool, not an object of the release.
    const poolDirs = (l: string) => /^file name=storage-pool(\/metal-csi)? type=directory$/.test(l);
    expect(deviceState(cluster.rdsIp, RDS_MENUS).filter((l) => !poolDirs(l))).toEqual(rdsBefore.filter((l) => !poolDirs(l)));

    // Kubernetes: every object of the manifest, the hooks' Job and Pod, the node and its Lease.
    const gone = (o: { kind: string; apiVersion: string; metadata: { name: string; namespace?: string } }) => {
      const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
      const r = run(testenvBin('kubectl') as string, [...(o.metadata.namespace ? ['-n', o.metadata.namespace] : []), 'get', `${o.kind}${group}/${o.metadata.name}`]);
      return r.code !== 0 && r.stderr.includes('NotFound');
    };
    expect(objects.filter((o) => !gone(o)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    expect(kubectl(['-n', NS, 'get', 'pods,jobs', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'name']).trim()).toBe('');
    expect(gone({ kind: 'Node', apiVersion: 'v1', metadata: { name: VK_NODE } })).toBe(true);
    // The garbage collector takes the node's Lease (the Node owns it).
    await waitFor(() => gone({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: VK_NODE, namespace: 'kube-node-lease' } }), 60_000, 1000);
  }, 600_000);
});
