// The chart against a real kube-apiserver (testenv control plane, no nodes: pods stay Pending,
// which is fine — these tests check API objects; uninstall runs --no-hooks, the hook Job could not run either): server-side dry-run of every scenario,
// helm install, scaling one component with helm upgrade without touching the others, and
// vk-provider's own CSR code getting its kubelet serving certificate with the chart's RBAC.
import { X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '@mikrotik-kube/service-kit';
import { type ControlPlane, requireControlPlane, requireTestPeers, startControlPlane, testenvBin } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chartDir, helm, parseManifests, run, valuesFile, type K8sObject } from './helm';

const skip = requireTestPeers('helm', 'kubectl') ?? requireControlPlane();
const NS = 'mk-system';
const P = 'mk-mikrotik-kube';

// Minimal CRDs for the optional kinds (the Prometheus Operator and snapshot CRDs are not part of
// a bare API server), so the monitoring scenario can be validated too.
const crd = (group: string, kind: string, plural: string, scope: 'Namespaced' | 'Cluster') => `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.${group}
  # *.k8s.io groups are protected; a test fixture declares itself unapproved.
  annotations: {api-approved.kubernetes.io: "unapproved, test fixture"}
spec:
  group: ${group}
  scope: ${scope}
  names: {kind: ${kind}, plural: ${plural}, singular: ${kind.toLowerCase()}, listKind: ${kind}List}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`;

describe.skipIf(!!skip)(`chart mikrotik-kube against a real API server ${skip ?? ''}`, () => {
  let cp: ControlPlane;
  let env: NodeJS.ProcessEnv;
  const kubectl = (args: string[], input?: string) => run(testenvBin('kubectl') as string, args, env, input);
  const getJson = <T>(args: string[]): T => {
    const r = kubectl([...args, '-o', 'json']);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const deployments = () =>
    Object.fromEntries(
      getJson<{ items: K8sObject[] }>(['-n', NS, 'get', 'deployments', '-l', 'app.kubernetes.io/instance=mk']).items.map((d) => [
        d.metadata.name,
        { generation: d.metadata.generation, spec: JSON.stringify(d.spec) },
      ]),
    );

  beforeAll(async () => {
    cp = await startControlPlane();
    env = cp.childEnv();
    expect(kubectl(['create', 'namespace', NS]).code).toBe(0);
    const crds = [
      crd('monitoring.coreos.com', 'ServiceMonitor', 'servicemonitors', 'Namespaced'),
      crd('monitoring.coreos.com', 'PodMonitor', 'podmonitors', 'Namespaced'),
      crd('monitoring.coreos.com', 'PrometheusRule', 'prometheusrules', 'Namespaced'),
      crd('snapshot.storage.k8s.io', 'VolumeSnapshotClass', 'volumesnapshotclasses', 'Cluster'),
    ].join('\n---\n');
    const r = kubectl(['apply', '-f', '-'], crds);
    expect(r.code, r.stderr).toBe(0);
    expect(kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/servicemonitors.monitoring.coreos.com', 'crd/podmonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com', 'crd/volumesnapshotclasses.snapshot.storage.k8s.io']).code).toBe(0);
  });
  afterAll(async () => {
    await cp?.stop();
  });

  it.each(readdirSync(join(chartDir, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort())(
    'kubectl apply --dry-run=server accepts every rendered object (%s)',
    (ci) => {
      const r = helm(['template', 'mk', chartDir, '--namespace', NS, '-f', join(chartDir, 'ci', ci)]);
      expect(r.code, r.stderr).toBe(0);
      const objs = parseManifests(r.stdout);
      expect(objs.length).toBeGreaterThan(20);
      const applied = kubectl(['apply', '--dry-run=server', '-n', NS, '-f', '-'], r.stdout);
      expect(applied.code, applied.stderr).toBe(0);
      // One "… created (server dry run)" line per object: nothing was skipped.
      expect(applied.stdout.trim().split('\n').filter((l) => l.endsWith('(server dry run)'))).toHaveLength(objs.length);
    },
  );

  it('helm install without a required value fails, names it and creates nothing', () => {
    const f = valuesFile(readFileSync(join(chartDir, 'ci/minimal-values.yaml'), 'utf8').replace(/^ {2}address: .*$/m, ''));
    try {
      const r = helm(['install', 'mk-missing', chartDir, '--namespace', NS, '-f', f.path], env);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('required values are missing:\n  - rds.address (');
      expect(helm(['list', '--namespace', NS, '-a', '-q'], env).stdout.trim()).toBe('');
      expect(kubectl(['-n', NS, 'get', 'deployments', '-o', 'name']).stdout.trim()).toBe('');
    } finally {
      f.remove();
    }
  });

  it('helm install succeeds and creates every object; helm upgrade --set ipam.replicas=3 changes only ipam', () => {
    const install = helm(['install', 'mk', chartDir, '--namespace', NS, '-f', join(chartDir, 'ci/minimal-values.yaml')], env);
    expect(install.code, install.stderr).toBe(0);
    expect(install.stdout).toContain('STATUS: deployed');
    const rendered = parseManifests(helm(['get', 'manifest', 'mk', '--namespace', NS], env).stdout);
    expect(rendered.length).toBeGreaterThan(20);
    for (const o of rendered) {
      const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
      const ns = o.metadata.namespace ? ['-n', o.metadata.namespace] : [];
      const r = kubectl([...ns, 'get', `${o.kind}${group}/${o.metadata.name}`]);
      expect(r.code, `${o.kind}/${o.metadata.name}: ${r.stderr}`).toBe(0);
    }
    const before = deployments();
    expect(Object.keys(before).sort()).toEqual(['boot-supervisor', 'csi-controller', 'ipam', 'registry', 'storage-converter', 'vk-provider'].map((n) => `${P}-${n}`));

    const up = helm(['upgrade', 'mk', chartDir, '--namespace', NS, '--reuse-values', '--set', 'ipam.replicas=3'], env);
    expect(up.code, up.stderr).toBe(0);
    const after = deployments();
    const ipam = `${P}-ipam`;
    expect(getJson<{ spec: { replicas: number } }>(['-n', NS, 'get', 'deployment', ipam]).spec.replicas).toBe(3);
    expect(after[ipam]?.generation).toBe((before[ipam]?.generation ?? 0) + 1);
    for (const name of Object.keys(before).filter((n) => n !== ipam)) {
      expect(after[name], name).toEqual(before[name]);
    }
    // The DaemonSet is untouched too.
    const ds = getJson<K8sObject>(['-n', NS, 'get', 'daemonset', `${P}-csi-node`]);
    expect(ds.metadata.generation).toBe(1);

    const uninstall = helm(['uninstall', 'mk', '--namespace', NS, '--no-hooks', '--wait', '--timeout', '60s'], env);
    expect(uninstall.code, uninstall.stderr).toBe(0);
    expect(kubectl(['get', 'csidriver', 'rds.csi.srvlab.io']).code).not.toBe(0);
  });

  it("vk-provider's ServiceAccount gets a kubelet serving certificate through vk-provider's own CSR code; the cluster CA the chart verifies clients with signed the API server's kubelet client certificate", async () => {
    const install = helm(['install', 'mk', chartDir, '--namespace', NS, '-f', join(chartDir, 'ci/minimal-values.yaml')], env);
    expect(install.code, install.stderr).toBe(0);
    // NOTES tell the admin what to do with the node and the CSR.
    for (const line of ['kubectl get node mikrotik', 'kubectl get csr -l mikrotik.io/node=mikrotik', 'kubectl certificate approve', 'runtimeClassName: mikrotik']) {
      expect(install.stdout).toContain(line);
    }
    const sa = `system:serviceaccount:${NS}:${P}-vk-provider`;
    const can = (...args: string[]) => kubectl(['auth', 'can-i', ...args, '--as', sa]).stdout.trim();
    expect(can('create', 'certificatesigningrequests.certificates.k8s.io')).toBe('yes');
    expect(can('watch', 'certificatesigningrequests.certificates.k8s.io')).toBe('yes');
    expect(can('update', 'certificatesigningrequests.certificates.k8s.io', '--subresource', 'approval')).toBe('no');
    expect(can('approve', 'signers.certificates.k8s.io/kubernetes.io/kubelet-serving')).toBe('no');
    expect(can('update', 'leases.coordination.k8s.io', '-n', NS)).toBe('yes');
    expect(can('create', 'leases.coordination.k8s.io', '-n', 'kube-node-lease')).toBe('yes');
    // The kubelet API authenticates bearer tokens and authorizes callers through the API server.
    expect(can('create', 'tokenreviews.authentication.k8s.io')).toBe('yes');
    expect(can('create', 'subjectaccessreviews.authorization.k8s.io')).toBe('yes');

    // A client with the ServiceAccount's own token (TokenRequest), as the pod would have.
    const token = kubectl(['-n', NS, 'create', 'token', `${P}-vk-provider`]);
    expect(token.code, token.stderr).toBe(0);
    const admin = new KubeConfig();
    admin.loadFromFile(cp.kubeconfig);
    const cluster = admin.getCurrentCluster();
    if (!cluster) throw new Error('admin kubeconfig has no cluster');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ ...cluster, name: 'cp' }],
      users: [{ name: 'vk', token: token.stdout.trim() }],
      contexts: [{ name: 'vk', cluster: 'cp', user: 'vk' }],
      currentContext: 'vk',
    });
    const { requestServingCertificate } = await import('@mikrotik-kube/vk-provider/cluster');
    const logger = createLogger('chart-test', 'error');
    const abort = new AbortController();
    const issued = requestServingCertificate({ kubeConfig: kc, nodeName: 'mikrotik', ipAddresses: ['10.244.1.17'], logger, pollMs: 200, signal: abort.signal });
    try {
      // The admin's part: find the CSR by the label NOTES names, approve it.
      let name = '';
      for (let i = 0; i < 100 && !name; i++) {
        name = kubectl(['get', 'csr', '-l', 'mikrotik.io/node=mikrotik', '-o', 'jsonpath={.items[0].metadata.name}']).stdout.trim();
        if (!name) await new Promise((r) => setTimeout(r, 100));
      }
      expect(name).toMatch(/^csr-/);
      const approve = kubectl(['certificate', 'approve', name]);
      expect(approve.code, approve.stderr).toBe(0);
      const cert = await issued;
      expect(cert.source).toBe('csr');
      const ca = new X509Certificate(readFileSync(join(cp.dir, 'pki/ca.crt')));
      const x509 = new X509Certificate(cert.cert);
      expect(x509.subject).toContain('CN=system:node:mikrotik');
      expect(x509.verify(ca.publicKey)).toBe(true);
      // kubelet.clientCaFile = the pod's service-account ca.crt = this CA; it signed the API server's kubelet client cert (as kubeadm does).
      expect(new X509Certificate(readFileSync(join(cp.dir, 'pki/apiserver-kubelet-client.crt'))).verify(ca.publicKey)).toBe(true);
    } finally {
      abort.abort(new Error('test over'));
      await issued.catch(() => undefined);
      kubectl(['delete', 'csr', '-l', 'mikrotik.io/node=mikrotik']);
      helm(['uninstall', 'mk', '--namespace', NS, '--no-hooks', '--wait', '--timeout', '60s'], env);
    }
  });
});
