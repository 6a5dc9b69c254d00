// The chart as helm renders it: lint of every scenario, the facts that matter in the rendered
// objects, RBAC equal to the upstream sidecars' own rbac.yaml, the strict values schema, and
// every rendered service config accepted by that service's real config loader.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTestPeers, testenvVersion } from '@mikrotik-kube/testenv';
import { parseVolumeParams } from '@mikrotik-kube/csi-common';
import { loadConfig, type JsonSchema } from '@mikrotik-kube/service-kit';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { generateValuesTypes, outputPath, schemaPath, type Schema } from '../tools/gen-values-types';
import { readmePath, valuesDocs, valuesPath, withValuesTable } from '../tools/gen-values-docs';
import { mountFlagProblem } from '../../../apps/csi-node/src/mounter';
import { chartDir, find, helm, one, template, valuesFile, type K8sObject } from './helm';
import type { ValuesOverride } from './values.generated';
import { vkSchema, type VkConfig } from '@mikrotik-kube/vk-provider';
import { nodeLabels, PROVIDER_TAINT } from '@mikrotik-kube/vk-provider/cluster';

const skip = requireTestPeers('helm');
const ciFiles = readdirSync(join(chartDir, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();
const minimal = { file: join(chartDir, 'ci/minimal-values.yaml') };
const P = 'mk-mikrotik-kube';

interface Container {
  name: string;
  image: string;
  args?: string[];
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } } }>;
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string; mountPropagation?: string; readOnly?: boolean }>;
  livenessProbe?: { httpGet?: { path: string; port: string } };
  readinessProbe?: { httpGet?: { path: string; port: string } };
}
interface PodSpec {
  containers: Container[];
  volumes?: Array<{ name: string; hostPath?: { path: string }; configMap?: { name: string }; secret?: unknown }>;
  securityContext?: Record<string, unknown>;
  serviceAccountName?: string;
  hostNetwork?: boolean;
  automountServiceAccountToken?: boolean;
}
const podSpec = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const container = (o: K8sObject, name: string) => {
  const c = podSpec(o).containers.find((x) => x.name === name);
  if (!c) throw new Error(`${o.metadata.name} has no container ${name}`);
  return c;
};
interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
/** Rules as a set of "group/resource:verb" for comparison regardless of grouping and order. */
const grants = (rules: Rule[]) => new Set(rules.flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`)))).values());
const sorted = (s: Set<string>) => [...s].sort();

describe.skipIf(!!skip)(`chart mikrotik-kube (helm template/lint) ${skip ?? ''}`, () => {
  it('helm lint --strict is clean with every ci scenario', () => {
    for (const f of ciFiles) {
      const r = helm(['lint', '--strict', chartDir, '-f', join(chartDir, 'ci', f)]);
      expect(r.code, `${f}: ${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('0 chart(s) failed');
      expect(r.stdout).not.toMatch(/\[(WARNING|ERROR)\]/);
    }
    expect(ciFiles).toEqual(expect.arrayContaining(['minimal-values.yaml', 'csi-only-values.yaml', 'platform-only-values.yaml', 'ha-replicas-values.yaml', 'existing-secrets-values.yaml', 'monitoring-and-netpol-values.yaml']));
  });

  it('values a working install cannot do without: missing, helm fails and names each one', () => {
    const defaults = helm(['template', 'mk', chartDir]);
    expect(defaults.code).not.toBe(0);
    for (const name of ['routeros.url', 'routeros.password or routeros.existingSecret', 'rds.address', 'rds.sshPrivateKey or rds.existingSecret', 'rds.hostKeys']) {
      expect(defaults.stderr).toContain(`  - ${name} (`);
    }
    // Each one alone, over the least a working install needs.
    const cases: Array<[ValuesOverride, string]> = [
      [{ routeros: { url: '' } }, 'routeros.url'],
      [{ routeros: { password: '' } }, 'routeros.password or routeros.existingSecret'],
      [{ rds: { address: '' } }, 'rds.address'],
      [{ rds: { sshPrivateKey: '' } }, 'rds.sshPrivateKey or rds.existingSecret'],
      [{ rds: { hostKeys: [] } }, 'rds.hostKeys'],
      [{ storageConverter: { fetchHostPort: 0 } }, 'storageConverter.fetchPublicUrl or storageConverter.fetchHostPort'],
    ];
    for (const [values, name] of cases) {
      expect(() => template([minimal, values]), name).toThrow(new RegExp(`required values are missing:\\n  - ${name.replace(/[.]/g, '\\.')} \\(`));
    }
    // What a component does not use is not required: no RDS without csi-controller, no router without the platform.
    expect(template([minimal, { rds: { address: '', sshPrivateKey: '', hostKeys: [] }, csiController: { enabled: false } }]).length).toBeGreaterThan(10);
    expect(template([{ file: join(chartDir, 'ci/csi-only-values.yaml') }]).length).toBeGreaterThan(5);
  });

  it('storage-converter: the router fetches from the node address on the fetch hostPort, unless fetchPublicUrl is given', () => {
    const d = one(template([minimal]), 'Deployment', `${P}-storage-converter`);
    const c = container(d, 'storage-converter');
    expect((c as unknown as { ports: Array<{ name: string; containerPort: number; hostPort?: number }> }).ports).toContainEqual({ name: 'fetch', containerPort: 8090, hostPort: 8090 });
    expect(c.env).toEqual(
      expect.arrayContaining([
        { name: 'NODE_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
        { name: 'STORAGE_CONVERTER_DELIVERY_FETCH_PUBLIC_URL', value: 'http://$(NODE_IP):8090' },
      ]),
    );
    // NODE_IP comes first: the kubelet expands $(VAR) only from variables defined before.
    expect(c.env?.findIndex((e) => e.name === 'NODE_IP')).toBeLessThan(c.env?.findIndex((e) => e.name === 'STORAGE_CONVERTER_DELIVERY_FETCH_PUBLIC_URL') ?? -1);
    // The old pod frees the hostPort before the new one needs it.
    expect((d.spec as { strategy: unknown }).strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } });
    expect((one(template([minimal]), 'Deployment', `${P}-ipam`).spec as { strategy: unknown }).strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });

    const own = template([minimal, { storageConverter: { fetchPublicUrl: 'http://10.0.0.10:30890', service: { type: 'NodePort' } } }]);
    const c2 = container(one(own, 'Deployment', `${P}-storage-converter`), 'storage-converter');
    expect(JSON.stringify(c2)).not.toContain('hostPort');
    expect(c2.env?.map((e) => e.name)).not.toContain('STORAGE_CONVERTER_DELIVERY_FETCH_PUBLIC_URL');
    const cm = one(own, 'ConfigMap', `${P}-storage-converter-config`) as unknown as { data: Record<string, string> };
    expect(cm.data['config.yaml']).toContain('publicUrl: http://10.0.0.10:30890');
  });

  it('renders one Deployment per service, each with its own replicas, probes, Service, PDB and ServiceAccount', () => {
    const objs = template([minimal, { ipam: { replicas: 3 }, registry: { replicas: 2 } }]);
    const names = ['vk-provider', 'ipam', 'storage-converter', 'boot-supervisor', 'registry', 'csi-controller'];
    expect(find(objs, 'Deployment').map((d) => d.metadata.name).sort()).toEqual(names.map((n) => `${P}-${n}`).sort());
    for (const n of names) {
      const d = one(objs, 'Deployment', `${P}-${n}`);
      const spec = d.spec as { replicas: number; selector: { matchLabels: Record<string, string> } };
      expect(spec.replicas).toBe(n === 'ipam' ? 3 : n === 'registry' ? 2 : 1);
      expect(spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'mikrotik-kube', 'app.kubernetes.io/instance': 'mk', 'app.kubernetes.io/component': n });
      expect(d.metadata.labels).toMatchObject({ 'helm.sh/chart': 'mikrotik-kube-0.1.0', 'app.kubernetes.io/managed-by': 'Helm', 'app.kubernetes.io/part-of': 'mikrotik-kube' });
      const main = container(d, n);
      expect(main.readinessProbe?.httpGet?.path).toBe('/readyz');
      expect(main.livenessProbe?.httpGet?.path).toBe('/healthz');
      expect(podSpec(d).serviceAccountName).toBe(`${P}-${n}`);
      one(objs, 'ServiceAccount', `${P}-${n}`);
      one(objs, 'PodDisruptionBudget', `${P}-${n}`);
      const svc = one(objs, 'Service', `${P}-${n}`);
      const ports = (svc.spec as { ports: Array<{ name: string }> }).ports.map((p) => p.name);
      expect(ports).toContain('metrics');
      if (['ipam', 'storage-converter', 'boot-supervisor'].includes(n)) expect(ports).toContain('grpc');
      else expect(ports).not.toContain('grpc');
    }
    // Only the services that call the API get a token.
    const tokens = Object.fromEntries(names.map((n) => [n, podSpec(one(objs, 'Deployment', `${P}-${n}`)).automountServiceAccountToken]));
    expect(tokens).toEqual({ 'vk-provider': true, ipam: false, 'storage-converter': false, 'boot-supervisor': true, registry: false, 'csi-controller': true });
  });

  it('every container but csi-node is hardened: non-root, read-only root, no capabilities, RuntimeDefault seccomp', () => {
    const objs = template([minimal]);
    for (const d of find(objs, 'Deployment')) {
      expect(podSpec(d).securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
      for (const c of podSpec(d).containers) {
        expect(c.securityContext, `${d.metadata.name}/${c.name}`).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
    const ds = one(objs, 'DaemonSet', `${P}-csi-node`);
    for (const c of podSpec(ds).containers.filter((x) => x.name !== 'csi-node')) {
      expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    }
  });

  it('StorageClass rds-nvme-tcp uses the driver and parameters the CSI code accepts; CSIDriver fields', () => {
    const objs = template([minimal, { storageClass: { parameters: { nvmeAddress: '10.42.68.1' } } }]);
    const sc = one(objs, 'StorageClass', 'rds-nvme-tcp') as K8sObject & { provisioner: string; parameters: Record<string, string>; volumeBindingMode: string; allowVolumeExpansion: boolean };
    expect(sc.provisioner).toBe('rds.csi.srvlab.io');
    expect(sc.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(sc.allowVolumeExpansion).toBe(true);
    // No rdsAddress/sshPort: the class is the default target's; where nodes connect is the controller's to say.
    expect(sc.parameters).toEqual({
      nvmeAddress: '10.42.68.1',
      fsType: 'ext4',
      volumePath: '/storage-pool/metal-csi',
      nqnPrefix: 'nqn.2000-02.com.mikrotik',
    });
    // The same parser csi-controller runs on CreateVolume accepts them.
    expect(parseVolumeParams(sc.parameters)).toMatchObject({ nvmeAddress: '10.42.68.1', fsType: 'ext4' });
    const drv = one(objs, 'CSIDriver', 'rds.csi.srvlab.io');
    expect(drv.spec).toEqual({
      attachRequired: true,
      podInfoOnMount: true,
      fsGroupPolicy: 'File',
      volumeLifecycleModes: ['Persistent'],
      requiresRepublish: false,
      storageCapacity: false,
    });
    expect(find(objs, 'VolumeSnapshotClass')).toEqual([]);
    expect(find(template([minimal, { volumeSnapshotClass: { enabled: true } }]), 'VolumeSnapshotClass')[0]).toMatchObject({ driver: 'rds.csi.srvlab.io', deletionPolicy: 'Delete' });
  });

  it('rds.targets: one StorageClass per target naming it, its key Secret mounted, and a controller config its schema takes', async () => {
    const objs = template([minimal, { rds: { nvmeAddress: '10.42.68.2', btrfsSubvolumes: true, targets: [{ name: 'rds-b', address: '10.0.1.2', port: 2222, nvmeAddress: '10.42.69.2', existingSecret: 'rds-b-ssh', hostKeys: ['SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'] }] } }]);
    const sc = one(objs, 'StorageClass', 'rds-nvme-tcp-rds-b') as K8sObject & { parameters: Record<string, string> };
    expect(sc.parameters).toEqual({ rdsTarget: 'rds-b', fsType: 'ext4', volumePath: '/storage-pool/metal-csi', nqnPrefix: 'nqn.2000-02.com.mikrotik' });
    expect(parseVolumeParams(sc.parameters).rdsTarget).toBe('rds-b');
    const dep = one(objs, 'Deployment', `${P}-csi-controller`);
    expect(podSpec(dep).volumes).toContainEqual({ name: 'rds-ssh-rds-b', secret: { secretName: 'rds-b-ssh', defaultMode: 0o440, items: [{ key: 'ssh-privatekey', path: 'ssh-privatekey' }] } });
    expect(container(dep, 'csi-controller').volumeMounts).toContainEqual({ name: 'rds-ssh-rds-b', mountPath: '/etc/mikrotik-kube/rds-targets/rds-b', readOnly: true });
    const text = (one(objs, 'ConfigMap', `${P}-csi-controller-config`) as unknown as { data: Record<string, string> }).data['config.yaml'] ?? '';
    const dir = mkdtempSync(join(tmpdir(), 'mk-cfg-'));
    try {
      writeFileSync(join(dir, 'config.yaml'), text);
      const { controllerSchema } = await import('../../../apps/csi-controller/src/config');
      const { config } = loadConfig<{ rds: Record<string, unknown> }>({ schema: controllerSchema, argv: ['--config', join(dir, 'config.yaml')], env: {}, envPrefix: 'CSI_CONTROLLER_' });
      expect(config.rds).toMatchObject({ address: '10.0.0.2', nvmeAddress: '10.42.68.2', nvmePort: 4420, btrfsSubvolumes: true });
      expect(config.rds['targets']).toEqual([
        { name: 'rds-b', address: '10.0.1.2', port: 2222, user: 'admin', keyFile: '/etc/mikrotik-kube/rds-targets/rds-b/ssh-privatekey', hostKey: ['SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU'], insecureSkipHostKey: false, nvmeAddress: '10.42.69.2', nvmePort: 4420, volumeBases: ['/storage-pool/metal-csi'], btrfsSubvolumes: true },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const r = helm(['template', 'mk', chartDir, '-f', join(chartDir, 'ci/minimal-values.yaml'), '--set', 'rds.targets[0].name=rds-b,rds.targets[0].address=10.0.1.2,rds.targets[0].existingSecret=s']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('rds.targets[rds-b].hostKeys');
  });

  it('csi-node: privileged, host network, kubelet dir Bidirectional, /dev, /sys, /etc/nvme, registrar registration path', () => {
    const ds = one(template([minimal]), 'DaemonSet', `${P}-csi-node`);
    const spec = podSpec(ds);
    expect(spec.hostNetwork).toBe(true);
    // Every node tolerated, but never a router (Virtual Kubelet node): no kernel there.
    expect((spec as { affinity?: unknown }).affinity).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'type', operator: 'NotIn', values: ['virtual-kubelet'] }] }] } },
    });
    const node = container(ds, 'csi-node');
    expect(node.securityContext).toMatchObject({ privileged: true });
    const mounts = Object.fromEntries((node.volumeMounts ?? []).map((m) => [m.mountPath, m]));
    expect(mounts['/var/lib/kubelet']?.mountPropagation).toBe('Bidirectional');
    const hostPaths = Object.fromEntries((spec.volumes ?? []).filter((v) => v.hostPath).map((v) => [v.name, v.hostPath?.path]));
    expect(hostPaths).toMatchObject({
      'kubelet-dir': '/var/lib/kubelet',
      dev: '/dev',
      sys: '/sys',
      'etc-nvme': '/etc/nvme',
      'plugin-dir': '/var/lib/kubelet/plugins/rds.csi.srvlab.io',
      'registration-dir': '/var/lib/kubelet/plugins_registry',
    });
    for (const m of ['/dev', '/sys', '/etc/nvme', '/csi']) expect(mounts[m], m).toBeDefined();
    expect(container(ds, 'node-driver-registrar').args).toContain('--kubelet-registration-path=/var/lib/kubelet/plugins/rds.csi.srvlab.io/csi.sock');
    expect(container(ds, 'liveness-probe').args).toContain('--csi-address=/csi/csi.sock');
    expect(node.env?.find((e) => e.name === 'CSI_NODE_NODE_ID')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
  });

  it('csi-controller runs the sidecars with leader election, at the versions the testenv builds', () => {
    const d = one(template([minimal]), 'Deployment', `${P}-csi-controller`);
    const built: Record<string, string> = { 'csi-provisioner': 'csi-provisioner', 'csi-attacher': 'csi-attacher', 'csi-resizer': 'csi-resizer', 'csi-snapshotter': 'csi-snapshotter' };
    for (const [c, peer] of Object.entries(built)) {
      const ct = container(d, c);
      expect(ct.image).toMatch(new RegExp(`^registry\\.k8s\\.io/sig-storage/${c}:v`));
      expect(ct.args).toEqual(expect.arrayContaining(['--csi-address=/csi/csi.sock', '--leader-election', '--leader-election-namespace=$(NAMESPACE)']));
      const v = testenvVersion(peer);
      if (v) expect(ct.image.split(':')[1], `${c} image vs the testenv-built ${peer}`).toBe(v);
    }
    expect(container(d, 'liveness-probe').image).toMatch(/^registry\.k8s\.io\/sig-storage\/livenessprobe:v/);
    expect(container(d, 'csi-controller').livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'healthz' });
    const noSnap = one(template([minimal, { csiController: { sidecars: { snapshotter: { enabled: false } } } }]), 'Deployment', `${P}-csi-controller`);
    expect(podSpec(noSnap).containers.map((c) => c.name)).not.toContain('csi-snapshotter');
  });

  it('csi-controller replicas elect who runs the reconcilers on a Lease in the release namespace, which its Role may write', () => {
    const objs = template([minimal]);
    const cm = one(objs, 'ConfigMap', `${P}-csi-controller-config`) as unknown as { data: Record<string, string> };
    expect((parse(cm.data['config.yaml'] ?? '') as { reconcile?: unknown }).reconcile).toEqual({ leaderElection: { namespace: 'mk-system' } });
    const role = grants((one(objs, 'Role', `${P}-csi-controller`) as unknown as { rules: Rule[] }).rules);
    for (const v of ['get', 'create', 'update']) expect(role.has(`coordination.k8s.io/leases:${v}`), v).toBe(true);
  });

  // vk-provider's rendered config, parsed the way the service parses it (defaults applied).
  const vkConfig = (objs: K8sObject[]): VkConfig => {
    const cm = one(objs, 'ConfigMap', `${P}-vk-provider-config`) as unknown as { data: Record<string, string> };
    const dir = mkdtempSync(join(tmpdir(), 'mk-vk-'));
    try {
      const file = join(dir, 'config.yaml');
      writeFileSync(file, cm.data['config.yaml'] ?? '');
      // advertiseAddress comes from env (the pod IP); the RouterOS password from the Secret.
      return loadConfig<VkConfig>({ schema: vkSchema, argv: ['--config', file], env: { VK_PROVIDER_ROUTEROS_PASSWORD: 'x' }, envPrefix: 'VK_PROVIDER_' }).config;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const vkDeployment = (objs: K8sObject[]) => one(objs, 'Deployment', `${P}-vk-provider`);

  it('vk-provider cluster mode by default: node, kubelet API port and client CA, pod IP and namespace from the downward API', () => {
    const objs = template([minimal]);
    const cfg = vkConfig(objs);
    expect(cfg.standalone).toBe(false);
    expect(cfg.cluster).toMatchObject({ nodeName: 'mikrotik', maxPods: 20, leaderElection: { enabled: true, namespace: '' } });
    // The cluster CA verifies the API server's kubelet client certificate; no files: the serving cert comes from a CSR;
    // callers are authorized through the API server (webhook), as kubelets are; the CSR is vk-provider's own (requestAsNode off).
    expect(cfg.kubelet).toEqual({ enabled: true, host: '0.0.0.0', port: 10250, advertiseAddress: '', certFile: '', keyFile: '', clientCaFile: '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt', webhook: true, requestAsNode: false });
    const d = vkDeployment(objs);
    const c = container(d, 'vk-provider') as Container & { ports: Array<{ name: string; containerPort: number }> };
    expect(c.ports).toContainEqual({ name: 'kubelet', containerPort: 10250 });
    const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    expect(env).toMatchObject({ POD_NAMESPACE: 'metadata.namespace', VK_PROVIDER_KUBELET_ADVERTISE_ADDRESS: 'status.podIP' });
    // The CA file is the projected service-account one: the token must be mounted.
    expect(podSpec(d).automountServiceAccountToken).toBe(true);
    // No pods file in cluster mode.
    expect(find(objs, 'ConfigMap', `${P}-boot-order`)).toEqual([]);
    expect((podSpec(d).volumes ?? []).map((v) => v.name)).toEqual(['config', 'tmp', 'grpc-token']);
    expect((c.volumeMounts ?? []).map((m) => m.mountPath)).toEqual(['/etc/mikrotik-kube/config', '/tmp', '/etc/mikrotik-kube/grpc-token']);
  });

  it('vk-provider with kubelet.tlsSecret mounts the Secret and points certFile/keyFile at it; verifyClients=false drops the client CA', () => {
    const objs = template([minimal, { vkProvider: { nodeName: 'rb5009.lab', maxPods: 7, kubelet: { port: 10260, tlsSecret: 'rb-tls', verifyClients: false } } }]);
    const cfg = vkConfig(objs);
    expect(cfg.cluster).toMatchObject({ nodeName: 'rb5009.lab', maxPods: 7 });
    expect(cfg.kubelet).toMatchObject({ port: 10260, certFile: '/etc/mikrotik-kube/kubelet-tls/tls.crt', keyFile: '/etc/mikrotik-kube/kubelet-tls/tls.key', clientCaFile: '' });
    const d = vkDeployment(objs);
    const vol = (podSpec(d).volumes ?? []).find((v) => v.name === 'kubelet-tls') as { secret?: { secretName: string; defaultMode: number; items: unknown[] } } | undefined;
    expect(vol?.secret).toEqual({ secretName: 'rb-tls', defaultMode: 0o440, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] });
    const c = container(d, 'vk-provider') as Container & { ports: Array<{ name: string; containerPort: number }> };
    expect(c.volumeMounts).toContainEqual({ name: 'kubelet-tls', mountPath: '/etc/mikrotik-kube/kubelet-tls', readOnly: true });
    expect(c.ports).toContainEqual({ name: 'kubelet', containerPort: 10260 });
  });

  it('vk-provider standalone: pods file mounted, kubelet API off, no kubelet port or downward env', () => {
    const objs = template([minimal, { vkProvider: { standalone: true } }]);
    const cfg = vkConfig(objs);
    expect(cfg.standalone).toBe(true);
    expect(cfg.kubelet.enabled).toBe(false);
    expect(cfg.podsFile).toBe('/etc/mikrotik-kube/boot-order/boot-order.yaml');
    one(objs, 'ConfigMap', `${P}-boot-order`);
    const c = container(vkDeployment(objs), 'vk-provider') as Container & { ports: Array<{ name: string }> };
    expect(c.ports.map((p) => p.name)).toEqual(['metrics']);
    expect(c.volumeMounts).toContainEqual({ name: 'boot-order', mountPath: '/etc/mikrotik-kube/boot-order', readOnly: true });
    expect((c.env ?? []).map((e) => e.name)).not.toContain('VK_PROVIDER_KUBELET_ADVERTISE_ADDRESS');
  });

  it("uninstall hook: a pre-delete Job bounded by activeDeadlineSeconds, deleted whatever its outcome; its flags load with apps/uninstall's schema and it mounts the configs vk-provider and storage-converter run with; RBAC only for what it stops and the node", async () => {
    const objs = template([minimal, { uninstallCleanup: { timeoutSeconds: 90 } }]);
    const job = one(objs, 'Job', `${P}-uninstall`);
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-delete');
    expect(job.metadata.annotations?.['helm.sh/hook-delete-policy']).toBe('before-hook-creation,hook-succeeded,hook-failed');
    expect((job.spec as { activeDeadlineSeconds: number; backoffLimit: number }).activeDeadlineSeconds).toBe(150);
    expect((job.spec as { backoffLimit: number }).backoffLimit).toBe(0);
    const c = container(job, 'uninstall');
    const stop = [`${P}-vk-provider`, `${P}-boot-supervisor`];
    const { uninstallSchema } = await import('@mikrotik-kube/installer/chart');
    const args = (c.args ?? []).map((a) => a.replace('/etc/mikrotik-kube/vk-provider/config.yaml', 'vk').replace('/etc/mikrotik-kube/storage-converter/config.yaml', 'storage'));
    const own = loadConfig<{ namespace: string; stopDeployments: string[]; timeoutSeconds: number; vkProviderConfig: string; storageConverterConfig: string }>({ schema: uninstallSchema, argv: args, env: {}, envPrefix: 'UNINSTALL_' }).config;
    expect(own).toMatchObject({ namespace: 'mk-system', stopDeployments: stop, timeoutSeconds: 90, vkProviderConfig: 'vk', storageConverterConfig: 'storage' });
    // It mounts the very ConfigMaps vk-provider and storage-converter run with, and vk-provider's router credentials.
    expect(podSpec(job).volumes?.map((v) => v.configMap?.name)).toEqual([`${P}-vk-provider-config`, `${P}-storage-converter-config`]);
    expect((c.env ?? []).map((e) => e.name)).toEqual(['VK_PROVIDER_ROUTEROS_USER', 'VK_PROVIDER_ROUTEROS_PASSWORD']);
    const role = one(objs, 'Role', `${P}-uninstall`) as unknown as { rules: Array<Rule & { resourceNames?: string[] }> };
    expect(role.rules.filter((r) => r.apiGroups.includes('apps')).map((r) => r.resourceNames)).toEqual([stop, stop]);
    const node = one(objs, 'ClusterRole', `${P}-uninstall`) as unknown as { rules: Array<Rule & { resourceNames?: string[] }> };
    expect(node.rules).toEqual([{ apiGroups: [''], resources: ['nodes'], resourceNames: ['mikrotik'], verbs: ['delete'] }]);
    // Off, or without vk-provider (nothing else puts pods on the router): no hook at all.
    for (const v of [{ uninstallCleanup: { enabled: false } }, { vkProvider: { enabled: false } }]) expect(find(template([minimal, v]), 'Job')).toEqual([]);
  });

  it('vk-provider RBAC: its node, pods, Leases, kubelet-serving CSRs (create and read only: approving stays with the admin), token and access reviews', () => {
    const rules = (one(template([minimal]), 'ClusterRole', `${P}-vk-provider`) as unknown as { rules: Rule[] }).rules;
    const g = grants(rules);
    for (const v of ['create', 'get', 'list', 'watch']) expect(g.has(`certificates.k8s.io/certificatesigningrequests:${v}`), v).toBe(true);
    for (const v of ['get', 'create', 'update']) expect(g.has(`coordination.k8s.io/leases:${v}`), v).toBe(true);
    expect(sorted(g).filter((x) => x.startsWith('certificates.k8s.io/'))).toEqual(['create', 'get', 'list', 'watch'].map((v) => `certificates.k8s.io/certificatesigningrequests:${v}`));
    // The kubelet API's webhook mode: exactly what system:auth-delegator grants.
    expect(sorted(g).filter((x) => x.startsWith('authentication.k8s.io/') || x.startsWith('authorization.k8s.io/'))).toEqual(['authentication.k8s.io/tokenreviews:create', 'authorization.k8s.io/subjectaccessreviews:create']);
    expect(sorted(g).filter((x) => /:(\*|escalate|bind|impersonate|approve|sign)$/.test(x) || x.includes('/*'))).toEqual([]);
  });

  it('vk-provider with kubelet.requestAsNode: its config says so, and RBAC lets it impersonate exactly its node and system:nodes', () => {
    const objs = template([minimal, { vkProvider: { nodeName: 'rb5009.lab', kubelet: { requestAsNode: true } } }]);
    expect(vkConfig(objs).kubelet).toMatchObject({ requestAsNode: true });
    const rules = (one(objs, 'ClusterRole', `${P}-vk-provider`) as unknown as { rules: Array<Rule & { resourceNames?: string[] }> }).rules;
    expect(rules.filter((r) => r.verbs.includes('impersonate'))).toEqual([
      { apiGroups: [''], resources: ['users'], verbs: ['impersonate'], resourceNames: ['system:node:rb5009.lab'] },
      { apiGroups: [''], resources: ['groups'], verbs: ['impersonate'], resourceNames: ['system:nodes'] },
    ]);
    // Off by default; pointless with a certificate from a Secret.
    expect(vkConfig(template([minimal])).kubelet.requestAsNode).toBe(false);
    expect(sorted(grants((one(template([minimal, { vkProvider: { kubelet: { requestAsNode: true, tlsSecret: 'rb-tls' } } }]), 'ClusterRole', `${P}-vk-provider`) as unknown as { rules: Rule[] }).rules)).filter((x) => x.endsWith(':impersonate'))).toEqual([]);
  });

  it('gRPC between our services needs the release token by default: Secret, mounts, tokenFile in each config; NetworkPolicies on', () => {
    const objs = template([minimal]);
    const secret = one(objs, 'Secret', `${P}-grpc-token`) as unknown as { data: Record<string, string> };
    expect(Buffer.from(secret.data['token'] ?? '', 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    for (const name of ['vk-provider', 'ipam', 'storage-converter', 'boot-supervisor']) {
      const d = one(objs, 'Deployment', `${P}-${name}`);
      expect((podSpec(d).volumes ?? []).find((v) => v.name === 'grpc-token'), name).toEqual({
        name: 'grpc-token',
        secret: { secretName: `${P}-grpc-token`, defaultMode: 0o440, items: [{ key: 'token', path: 'token' }] },
      });
      expect(container(d, name).volumeMounts, name).toContainEqual({ name: 'grpc-token', mountPath: '/etc/mikrotik-kube/grpc-token', readOnly: true });
      const cfg = parseAllDocuments((one(objs, 'ConfigMap', `${P}-${name}-config`) as unknown as { data: Record<string, string> }).data['config.yaml'] ?? '')[0]?.toJS() as { grpc: { tokenFile?: string } };
      expect(cfg.grpc.tokenFile, name).toBe('/etc/mikrotik-kube/grpc-token/token');
    }
    // The registry and the CSI plugins take no part (OCI HTTP, and unix sockets for the sidecars).
    expect((podSpec(one(objs, 'Deployment', `${P}-registry`)).volumes ?? []).map((v) => v.name)).not.toContain('grpc-token');
    // Policies by default: ipam's gRPC port only from vk-provider.
    const np = one(objs, 'NetworkPolicy', `${P}-ipam`).spec as { ingress: Array<{ ports: Array<{ port: number }>; from?: unknown[] }> };
    expect(np.ingress[1]).toEqual({ ports: [{ port: 9090 }], from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mikrotik-kube', 'app.kubernetes.io/instance': 'mk', 'app.kubernetes.io/component': 'vk-provider' } } }] });
  });

  it('vk-provider Secrets: get only (no cluster-wide list or watch); with secretNamespaces, only there', () => {
    const rules = (objs: K8sObject[]) => (one(objs, 'ClusterRole', `${P}-vk-provider`) as unknown as { rules: Rule[] }).rules;
    const secretGrants = (r: Rule[]) => sorted(grants(r)).filter((x) => x.startsWith('/secrets:'));
    expect(secretGrants(rules(template([minimal])))).toEqual(['/secrets:get']);
    expect(find(template([minimal]), 'Role').map((r) => r.metadata.name)).not.toContain(`${P}-vk-provider-secrets`);
    const objs = template([minimal, { vkProvider: { secretNamespaces: ['apps', 'web'] } }]);
    expect(secretGrants(rules(objs))).toEqual([]);
    const roles = find(objs, 'Role').filter((r) => r.metadata.name === `${P}-vk-provider-secrets`);
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['apps', 'web']);
    for (const r of roles) expect(sorted(grants((r as unknown as { rules: Rule[] }).rules))).toEqual(['/secrets:get']);
    const bindings = find(objs, 'RoleBinding').filter((b) => b.metadata.name === `${P}-vk-provider-secrets`);
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(['apps', 'web']);
    for (const b of bindings) {
      expect(b).toMatchObject({ roleRef: { kind: 'Role', name: `${P}-vk-provider-secrets` }, subjects: [{ kind: 'ServiceAccount', name: `${P}-vk-provider`, namespace: 'mk-system' }] });
    }
  });

  it('NetworkPolicy: vk-provider accepts its kubelet port from anywhere (the API server is no pod) and nothing else beyond metrics', () => {
    const np = (v: ValuesOverride) => one(template([minimal, { networkPolicy: { enabled: true } }, v]), 'NetworkPolicy', `${P}-vk-provider`).spec as { ingress: Array<{ ports: Array<{ port: number }>; from?: unknown[] }> };
    const cluster = np({ vkProvider: { kubelet: { port: 10260 } } });
    expect(cluster.ingress).toHaveLength(2);
    expect(cluster.ingress[1]).toEqual({ ports: [{ port: 10260 }] });
    expect(cluster.ingress[0]?.ports).toEqual([{ port: 8080 }]);
    expect(np({ vkProvider: { standalone: true } }).ingress).toHaveLength(1);
  });

  const modCache = process.env.GOMODCACHE || join(process.env.HOME ?? '/root', 'go/pkg/mod');
  const upstream: Record<string, string> = {
    provisioner: 'github.com/kubernetes-csi/external-provisioner/v6@v6.3.0/deploy/kubernetes/rbac.yaml',
    attacher: 'github.com/kubernetes-csi/external-attacher/v4@v4.13.0/deploy/kubernetes/rbac.yaml',
    resizer: 'github.com/kubernetes-csi/external-resizer/v2@v2.3.0/deploy/kubernetes/rbac.yaml',
    snapshotter: 'github.com/kubernetes-csi/external-snapshotter/v8@v8.7.0/deploy/kubernetes/csi-snapshotter/rbac-csi-snapshotter.yaml',
  };
  const missingUpstream = Object.values(upstream).filter((f) => !existsSync(join(modCache, f)));
  it.skipIf(missingUpstream.length > 0)(
    `sidecar RBAC equals the upstream sidecars' deploy/kubernetes/rbac.yaml ${missingUpstream.length ? `(not in the Go module cache ${modCache}: ${missingUpstream.join(', ')}; run make testenv)` : ''}`,
    () => {
      const objs = template([minimal]);
      const ourRole = grants((one(objs, 'Role', `${P}-csi-controller`) as unknown as { rules: Rule[] }).rules);
      for (const [sidecar, file] of Object.entries(upstream)) {
        const docs = parseAllDocuments(readFileSync(join(modCache, file), 'utf8')).map((d) => d.toJS() as { kind?: string; rules?: Rule[] } | null);
        const cr = docs.find((d) => d?.kind === 'ClusterRole');
        const role = docs.find((d) => d?.kind === 'Role');
        if (!cr?.rules || !role?.rules) throw new Error(`no ClusterRole/Role in ${file}`);
        const ours = one(objs, 'ClusterRole', `${P}-csi-controller-${sidecar}`) as unknown as { rules: Rule[] };
        expect(sorted(grants(ours.rules)), sidecar).toEqual(sorted(grants(cr.rules)));
        for (const g of grants(role.rules)) expect(ourRole.has(g), `${sidecar} Role grant ${g}`).toBe(true);
      }
      const bindings = find(objs, 'ClusterRoleBinding').filter((b) => b.metadata.name.startsWith(`${P}-csi-controller`));
      for (const b of bindings) expect((b as unknown as { subjects: Array<{ name: string; namespace: string }> }).subjects).toEqual([{ kind: 'ServiceAccount', name: `${P}-csi-controller`, namespace: 'mk-system' }]);
      // The plugin's own role is read-only and small.
      expect(sorted(grants((one(objs, 'ClusterRole', `${P}-csi-controller-plugin`) as unknown as { rules: Rule[] }).rules))).toEqual(['/nodes:get', '/persistentvolumes:list', 'storage.k8s.io/volumeattachments:list']);
      // Services that do not call the API get no RBAC at all.
      for (const n of ['ipam', 'storage-converter', 'registry', 'csi-node']) {
        expect(find(objs, 'ClusterRole').concat(find(objs, 'Role')).filter((r) => r.metadata.labels?.['app.kubernetes.io/component'] === n)).toEqual([]);
      }
    },
  );

  it('the schema refuses unknown keys and wrong types, and helm names the key', () => {
    const cases: Array<[ValuesOverride | string, RegExp]> = [
      ['ipam:\n  replicaz: 3\n', /at '\/ipam': additional properties 'replicaz' not allowed/],
      ['ipam:\n  replicas: three\n', /at '\/ipam\/replicas': got string, want integer/],
      ['storageClass:\n  parameters:\n    fsType: ntfs\n', /at '\/storageClass\/parameters\/fsType': value must be one of/],
      ['csiController:\n  sidecars:\n    provisioner:\n      image: {repository: x, tag: v1}\n      colour: red\n', /at '\/csiController\/sidecars\/provisioner': additional properties 'colour' not allowed/],
      ['bogusTopLevel: true\n', /additional properties 'bogusTopLevel' not allowed/],
    ];
    for (const [values, message] of cases) {
      const f = valuesFile(values);
      try {
        const r = helm(['template', 'mk', chartDir, '-f', f.path]);
        expect(r.code).not.toBe(0);
        expect(r.stderr).toMatch(message);
      } finally {
        f.remove();
      }
    }
  });

  it('RuntimeClass mikrotik: its scheduling is the node label and the taint vk-provider gives the router node (cluster mode only)', () => {
    const rc = one(template([minimal]), 'RuntimeClass', 'mikrotik') as K8sObject & { handler: string; scheduling: { nodeSelector: Record<string, string>; tolerations: unknown[] } };
    expect(rc.handler).toBe('mikrotik');
    const labels = nodeLabels('mikrotik', { architecture: 'arm64' } as Parameters<typeof nodeLabels>[1]);
    expect(rc.scheduling.nodeSelector).toEqual({ type: labels.type });
    expect(rc.scheduling.tolerations).toEqual([{ key: PROVIDER_TAINT.key, operator: 'Equal', value: PROVIDER_TAINT.value, effect: PROVIDER_TAINT.effect }]);
    expect(find(template([minimal, { runtimeClass: { create: false } }]), 'RuntimeClass')).toEqual([]);
    expect(find(template([{ file: join(chartDir, 'ci/platform-only-values.yaml') }]), 'RuntimeClass')).toEqual([]);
    expect(one(template([minimal, { runtimeClass: { name: 'router-b' } }]), 'RuntimeClass', 'router-b')).toBeTruthy();
    expect(() => template([minimal, { runtimeClass: { name: 'Not_A_Name' } }])).toThrow(/runtimeClass\.name|runtimeClass/);
  });

  it('global.imageRegistry: every container of every pod, ours and each sidecar, pulls from it; repositories and tags stay', () => {
    const pods = (objs: K8sObject[]) =>
      objs.flatMap((o) => (o.kind === 'Pod' ? [(o as unknown as { spec: PodSpec }).spec] : ['Deployment', 'DaemonSet'].includes(o.kind) ? [podSpec(o)] : []));
    const images = (objs: K8sObject[]) => pods(objs).flatMap((p) => [...p.containers, ...((p as { initContainers?: Container[] }).initContainers ?? [])].map((c) => c.image));
    const before = images(template([minimal]));
    const after = images(template([minimal, { global: { imageRegistry: 'mirror.example.com:5000' } }]));
    expect(after.length).toBe(before.length);
    expect(after.length).toBeGreaterThan(12);
    expect(before.some((i) => i.startsWith('registry.k8s.io/sig-storage/')) && before.some((i) => i.startsWith('ghcr.io/mikrotik-kube/'))).toBe(true);
    expect(after).toEqual(before.map((i) => i.replace(/^[^/]+\//, 'mirror.example.com:5000/')));
  });

  it('Deployments spread their replicas and prefer other nodes by default; hard, none and your own affinity; csi-controller is system-cluster-critical', () => {
    type Scheduling = PodSpec & { affinity?: Record<string, unknown>; topologySpreadConstraints?: unknown[]; priorityClassName?: string };
    const spec = (objs: K8sObject[], n: string, kind = 'Deployment') => podSpec(one(objs, kind, `${P}-${n}`)) as Scheduling;
    const selector = (n: string) => ({ matchLabels: { 'app.kubernetes.io/name': 'mikrotik-kube', 'app.kubernetes.io/instance': 'mk', 'app.kubernetes.io/component': n } });
    const objs = template([minimal]);
    for (const n of ['vk-provider', 'ipam', 'storage-converter', 'boot-supervisor', 'registry', 'csi-controller']) {
      const s = spec(objs, n);
      expect(s.topologySpreadConstraints, n).toEqual([{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector(n) }]);
      expect(s.affinity, n).toEqual({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: { topologyKey: 'kubernetes.io/hostname', labelSelector: selector(n) } }] } });
    }
    // csi-node is a DaemonSet: one per node already, and its own affinity keeps it off the routers.
    const node = spec(objs, 'csi-node', 'DaemonSet');
    expect(node.topologySpreadConstraints).toBeUndefined();
    expect(Object.keys(node.affinity ?? {})).toEqual(['nodeAffinity']);
    expect(spec(objs, 'csi-controller').priorityClassName).toBe('system-cluster-critical');
    expect(node.priorityClassName).toBe('system-node-critical');
    expect(spec(objs, 'ipam').priorityClassName).toBeUndefined();

    const zone = { maxSkew: 2, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule' as const };
    const own = { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { topologyKey: 'zone', labelSelector: {} } }] } };
    const nodeAffinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'pool', operator: 'In', values: ['infra'] }] }] } } };
    const set = template([
      minimal,
      {
        ipam: { podAntiAffinity: 'hard', topologySpreadConstraints: [zone], affinity: nodeAffinity },
        registry: { podAntiAffinity: 'none', topologySpreadConstraints: [] },
        bootSupervisor: { affinity: own },
      },
    ]);
    expect(spec(set, 'ipam').affinity).toEqual({ ...nodeAffinity, podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: selector('ipam') }] } });
    expect(spec(set, 'ipam').topologySpreadConstraints).toEqual([{ ...zone, labelSelector: selector('ipam') }]);
    expect(spec(set, 'registry').affinity).toBeUndefined();
    expect(spec(set, 'registry').topologySpreadConstraints).toBeUndefined();
    expect(spec(set, 'boot-supervisor').affinity).toEqual(own);
    expect(() => template([minimal, { ipam: { podAntiAffinity: 'sometimes' as 'soft' } }])).toThrow(/podAntiAffinity/);
  });

  it('storageClasses: more classes over storageClass, with mountOptions csi-node accepts and parameters csi-controller accepts', () => {
    const objs = template([
      minimal,
      {
        storageClass: { mountOptions: ['noatime'] },
        storageClasses: [
          { name: 'rds-xfs', mountOptions: ['nodiscard', 'noatime'], parameters: { fsType: 'xfs' }, reclaimPolicy: 'Retain' },
          { name: 'rds-plain', isDefault: true },
        ],
      },
    ]);
    type Sc = K8sObject & { mountOptions?: string[]; parameters: Record<string, string>; reclaimPolicy: string; volumeBindingMode: string };
    const main = one(objs, 'StorageClass', 'rds-nvme-tcp') as Sc;
    const xfs = one(objs, 'StorageClass', 'rds-xfs') as Sc;
    const plain = one(objs, 'StorageClass', 'rds-plain') as Sc;
    expect(main.mountOptions).toEqual(['noatime']);
    expect(xfs.mountOptions).toEqual(['nodiscard', 'noatime']);
    expect(xfs.parameters).toEqual({ ...main.parameters, fsType: 'xfs' });
    expect(xfs.reclaimPolicy).toBe('Retain');
    expect(xfs.volumeBindingMode).toBe('WaitForFirstConsumer');
    expect(xfs.metadata.annotations).toBeUndefined();
    expect(plain.mountOptions).toEqual(['noatime']);
    expect(plain.metadata.annotations).toEqual({ 'storageclass.kubernetes.io/is-default-class': 'true' });
    for (const sc of [main, xfs, plain]) {
      expect(mountFlagProblem(sc.mountOptions ?? []), sc.metadata.name).toBeUndefined();
      expect(parseVolumeParams(sc.parameters).fsType).toBe(sc.metadata.name === 'rds-xfs' ? 'xfs' : 'ext4');
    }
    // Without mountOptions the field is left out; storageClasses stand without the default class.
    expect('mountOptions' in (one(template([minimal]), 'StorageClass', 'rds-nvme-tcp') as Sc)).toBe(false);
    const only = template([minimal, { storageClass: { create: false }, storageClasses: [{ name: 'mine' }] }]);
    expect(find(only, 'StorageClass').map((o) => o.metadata.name)).toEqual(['mine']);
    expect(() => template([minimal, { storageClasses: [{ mountOptions: ['x'] }] }])).toThrow(/name/);
  });

  it('extraObjects: objects and strings rendered with the release, templates expanded', () => {
    const objs = template([
      minimal,
      {
        extraObjects: [
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: '{{ .Release.Name }}-site' }, data: { ns: '{{ .Release.Namespace }}' } },
          'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: {{ include "mikrotik-kube.fullname" . }}-router}\nvalue: 1000\n',
        ],
      },
    ]);
    expect((one(objs, 'ConfigMap', 'mk-site') as unknown as { data: Record<string, string> }).data).toEqual({ ns: 'mk-system' });
    expect((one(objs, 'PriorityClass', `${P}-router`) as unknown as { value: number }).value).toBe(1000);
  });

  it('the README values table is what values.yaml comments give; a drifted or missing comment is an error', () => {
    const values = readFileSync(valuesPath, 'utf8');
    const readme = readFileSync(readmePath, 'utf8');
    expect(withValuesTable(readme, values), 'README.md is stale: npx tsx charts/mikrotik-kube/tools/gen-values-docs.ts').toBe(readme);
    const rows = valuesDocs(values);
    expect(rows.find((r) => r.key === 'runtimeClass.name')).toEqual({ key: 'runtimeClass.name', default: '`"mikrotik"`', description: "its name, the pods' `runtimeClassName`." });
    expect(rows.find((r) => r.key === 'image')?.default).toBe('');
    expect(() => valuesDocs('# a -- first\na: 1\n# a -- second\nb: 2\n')).toThrow('values.yaml: the comment "a -- …" sits above b');
    expect(() => valuesDocs('# a -- first\na: 1\nb: 2\n')).toThrow('values.yaml: no "# <key> -- <description>" comment documents b');
    // The components' common keys are documented once, under vkProvider.
    expect(() => valuesDocs('# vkProvider -- v\nvkProvider:\n  # vkProvider.resources -- r\n  resources: {}\n# ipam -- i\nipam:\n  resources: {}\n')).not.toThrow();
    expect(() => withValuesTable('no markers', values)).toThrow(/markers are missing/);
  });

  it('test/values.generated.ts is up to date with values.schema.json', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Schema;
    expect(readFileSync(outputPath, 'utf8')).toBe(generateValuesTypes(schema));
  });

  // Each service's rendered config file, args and env go through the service's own loader and
  // schema — what the container would do on start — so a key the chart renders wrong fails here.
  const services: Array<{ name: string; key: string; prefix: string; schema: () => Promise<JsonSchema>; kind?: string }> = [
    { name: 'vk-provider', key: 'vkProvider', prefix: 'VK_PROVIDER_', schema: async () => (await import('@mikrotik-kube/vk-provider')).vkSchema },
    { name: 'ipam', key: 'ipam', prefix: 'IPAM_', schema: async () => (await import('@mikrotik-kube/ipam')).ipamSchema },
    { name: 'storage-converter', key: 'storageConverter', prefix: 'STORAGE_CONVERTER_', schema: async () => (await import('@mikrotik-kube/storage-converter')).storageSchema },
    { name: 'boot-supervisor', key: 'bootSupervisor', prefix: 'BOOT_SUPERVISOR_', schema: async () => (await import('@mikrotik-kube/boot-supervisor')).configSchema },
    { name: 'registry', key: 'registry', prefix: 'REGISTRY_', schema: async () => (await import('@mikrotik-kube/registry')).registrySchema },
    { name: 'csi-controller', key: 'csiController', prefix: 'CSI_CONTROLLER_', schema: async () => (await import('../../../apps/csi-controller/src/config')).controllerSchema },
    { name: 'csi-node', key: 'csiNode', prefix: 'CSI_NODE_', schema: async () => (await import('../../../apps/csi-node/src/config')).configSchema, kind: 'DaemonSet' },
  ];
  // What the downward API would give the env the chart takes from fieldRefs.
  const downward: Record<string, string> = { 'metadata.name': `${P}-vk-provider-7d9f8-x2x4q`, 'metadata.namespace': 'mk-system', 'status.podIP': '10.244.1.17', 'status.hostIP': '10.0.0.21', 'spec.nodeName': 'worker-1' };
  it('both vk-provider modes are covered by a ci scenario', () => {
    const modes = ciFiles.filter((f) => f !== 'existing-secrets-values.yaml').map((f) => {
      const d = find(template([{ file: join(chartDir, 'ci', f) }]), 'ConfigMap', `${P}-vk-provider-config`)[0] as unknown as { data: Record<string, string> } | undefined;
      return d ? (parseAllDocuments(d.data['config.yaml'] ?? '')[0]?.toJS() as { standalone: boolean }).standalone : undefined;
    });
    expect(modes).toEqual(expect.arrayContaining([true, false]));
  });

  it('registry: htpasswd, TLS and upstream passwords from Secrets; storage-converter logs in with https and the CA', async () => {
    const objs = template([
      minimal,
      {
        registry: {
          auth: { htpasswdSecret: 'reg-users', anonymousRead: true },
          tls: { secret: 'reg-tls' },
          upstreams: [{ name: 'dockerhub', url: 'https://registry-1.docker.io', username: 'me', passwordSecret: 'hub-pw' }],
        },
      },
    ]);
    const text = (one(objs, 'ConfigMap', `${P}-registry-config`) as unknown as { data: Record<string, string> }).data['config.yaml'] ?? '';
    const cfg = parseAllDocuments(text)[0]?.toJS() as Record<string, unknown>;
    expect(cfg.auth).toEqual({ htpasswdFile: '/etc/mikrotik-kube/registry-auth/htpasswd', anonymousRead: true });
    expect(cfg.tls).toEqual({ certFile: '/etc/mikrotik-kube/registry-tls/tls.crt', keyFile: '/etc/mikrotik-kube/registry-tls/tls.key' });
    expect(cfg.upstreams).toEqual([{ name: 'dockerhub', url: 'https://registry-1.docker.io', username: 'me', passwordFile: '/etc/mikrotik-kube/upstreams/dockerhub/password' }]);
    const dir = mkdtempSync(join(tmpdir(), 'mk-cfg-'));
    try {
      writeFileSync(join(dir, 'config.yaml'), text);
      const { registrySchema, resolveUpstreams } = await import('@mikrotik-kube/registry');
      const loaded = loadConfig<Record<string, unknown>>({ schema: registrySchema, argv: ['--config', join(dir, 'config.yaml')], env: {}, envPrefix: 'REGISTRY_' });
      expect(resolveUpstreams(loaded.config as never)).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const reg = one(objs, 'Deployment', `${P}-registry`);
    const secrets = Object.fromEntries((podSpec(reg).volumes ?? []).flatMap((v) => ('secret' in v ? [[v.name, v.secret]] : [])));
    expect(secrets).toEqual({
      'registry-auth': { secretName: 'reg-users', defaultMode: 0o440, items: [{ key: 'htpasswd', path: 'htpasswd' }] },
      'registry-tls': { secretName: 'reg-tls', defaultMode: 0o440, items: [{ key: 'tls.crt', path: 'tls.crt' }, { key: 'tls.key', path: 'tls.key' }] },
      'upstream-dockerhub': { secretName: 'hub-pw', defaultMode: 0o440, items: [{ key: 'password', path: 'password' }] },
    });
    expect(container(reg, 'registry').volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'registry-auth', mountPath: '/etc/mikrotik-kube/registry-auth', readOnly: true },
        { name: 'registry-tls', mountPath: '/etc/mikrotik-kube/registry-tls', readOnly: true },
        { name: 'upstream-dockerhub', mountPath: '/etc/mikrotik-kube/upstreams/dockerhub', readOnly: true },
      ]),
    );
    // storage-converter pushes and pulls with the Secret's own account, over https, trusting the Secret's CA.
    const sc = one(objs, 'Deployment', `${P}-storage-converter`);
    const scCfg = parseAllDocuments((one(objs, 'ConfigMap', `${P}-storage-converter-config`) as unknown as { data: Record<string, string> }).data['config.yaml'] ?? '')[0]?.toJS() as { registry: { url: string } };
    expect(scCfg.registry.url).toBe(`https://${P}-registry.mk-system.svc:5000`);
    const env = Object.fromEntries((container(sc, 'storage-converter').env ?? []).map((e) => [e.name, e.value ?? e.valueFrom?.secretKeyRef]));
    expect(env).toMatchObject({
      STORAGE_CONVERTER_REGISTRY_USERNAME: { name: 'reg-users', key: 'username' },
      STORAGE_CONVERTER_REGISTRY_PASSWORD: { name: 'reg-users', key: 'password' },
      NODE_EXTRA_CA_CERTS: '/etc/mikrotik-kube/registry-ca/ca.crt',
    });
    expect((podSpec(sc).volumes ?? []).find((v) => v.name === 'registry-ca')).toEqual({ name: 'registry-ca', secret: { secretName: 'reg-tls', items: [{ key: 'ca.crt', path: 'ca.crt' }] } });
    // Without those values: no auth, no TLS, anonymous upstreams (as before).
    const plain = parseAllDocuments((one(template([minimal]), 'ConfigMap', `${P}-registry-config`) as unknown as { data: Record<string, string> }).data['config.yaml'] ?? '')[0]?.toJS() as Record<string, unknown>;
    expect(plain.auth).toBeUndefined();
    expect(plain.tls).toBeUndefined();
  });

  it.each(ciFiles.filter((f) => f !== 'existing-secrets-values.yaml'))('rendered service configs load with the services own schemas (%s)', async (ci) => {
    const objs = template([{ file: join(chartDir, 'ci', ci) }]);
    const secrets = new Map(find(objs, 'Secret').map((s) => [s.metadata.name, (s as unknown as { stringData: Record<string, string> }).stringData]));
    const dir = mkdtempSync(join(tmpdir(), 'mk-cfg-'));
    try {
      for (const s of services) {
        const w = find(objs, s.kind ?? 'Deployment', `${P}-${s.name}`)[0];
        if (!w) continue;
        const cm = one(objs, 'ConfigMap', `${P}-${s.name}-config`) as unknown as { data: Record<string, string> };
        const file = join(dir, `${s.name}.yaml`);
        writeFileSync(file, cm.data['config.yaml'] ?? '');
        const c = container(w, s.name);
        const env: NodeJS.ProcessEnv = {};
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          const field = e.valueFrom?.fieldRef?.fieldPath;
          const value = e.value?.replace(/\$\((\w+)\)/g, (m, n: string) => env[n] ?? m);
          env[e.name] = ref ? secrets.get(ref.name)?.[ref.key] : (value ?? (field ? downward[field] : undefined));
          expect(env[e.name], `${s.name} env ${e.name}`).toBeDefined();
        }
        const argv = (c.args ?? []).map((a) => (a === '/etc/mikrotik-kube/config/config.yaml' ? file : a));
        const loaded = loadConfig<Record<string, unknown>>({ schema: await s.schema(), argv, env, envPrefix: s.prefix });
        expect(loaded.config, s.name).toBeDefined();
        if (s.name === 'vk-provider' && !loaded.config.standalone) {
          // Cluster mode: the node, and the kubelet API at the pod IP (env from the downward API).
          const vk = loaded.config as unknown as VkConfig;
          expect(vk.kubelet).toMatchObject({ enabled: true, advertiseAddress: downward['status.podIP'] });
          expect(find(objs, 'ConfigMap', `${P}-boot-order`)).toEqual([]);
        }
        if (s.name === 'vk-provider' && loaded.config.standalone) {
          expect((loaded.config as unknown as VkConfig).kubelet.enabled).toBe(false);
          // The pods file the chart renders parses with vk-provider's own reader, without errors.
          const { parsePodFile } = await import('@mikrotik-kube/vk-provider');
          const pods = one(objs, 'ConfigMap', `${P}-boot-order`) as unknown as { data: Record<string, string> };
          const parsed = parsePodFile(pods.data['boot-order.yaml'] ?? '');
          expect(parsed.errors).toEqual([]);
          expect(parsed.pods.filter((p) => p.errors?.length)).toEqual([]);
          if (ci === 'platform-only-values.yaml') expect(parsed.pods).toHaveLength(1);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
