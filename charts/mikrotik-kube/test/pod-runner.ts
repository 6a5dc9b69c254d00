// Starts the main container of a rendered workload as a real process, the way the kubelet would
// give it its pod: the rendered command's service (from source), args and env (Secrets and the
// downward API resolved, $(VAR) expanded), and every volume as a directory whose mount path is
// mapped onto it in args, env and the mounted files. hostPaths stay the host's, except under the
// kubelet's directory. Pods with a service-account token get a kubeconfig with it instead of the
// in-cluster file paths (the one place the identity differs from a pod's).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, type ProcessHandle, repoRoot } from '@mikrotik-kube/test-support';
import type { Netns } from '@mikrotik-kube/testenv';
import type { K8sObject } from './helm';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface Volume {
  name: string;
  configMap?: { name: string; items?: Array<{ key: string; path: string }> };
  secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
  emptyDir?: object;
  hostPath?: { path: string };
}
export interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  automountServiceAccountToken?: boolean;
  serviceAccountName?: string;
}

export const podSpecOf = (w: K8sObject): PodSpec => (w.spec as { template: { spec: PodSpec } }).template.spec;

/** Secrets and ConfigMaps by name, as the API would hand them to the kubelet. */
export function dataOf(objs: K8sObject[], extra: Record<string, Record<string, string>> = {}): Map<string, Record<string, string>> {
  const m = new Map(Object.entries(extra));
  for (const o of objs) {
    const d = o as unknown as { data?: Record<string, string>; stringData?: Record<string, string> };
    if (o.kind === 'ConfigMap') m.set(`ConfigMap/${o.metadata.name}`, { ...d.data });
    if (o.kind === 'Secret') {
      const dec = Object.fromEntries(Object.entries(d.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
      m.set(`Secret/${o.metadata.name}`, { ...dec, ...d.stringData });
    }
  }
  return m;
}

export interface RunPodOptions {
  workload: K8sObject;
  /** ConfigMap/<name> and Secret/<name> → data (see dataOf). */
  data: Map<string, Record<string, string>>;
  dir: string;
  netns: Netns;
  /** What the downward API gives (status.podIP, spec.nodeName, ...). */
  downward: Record<string, string>;
  /** Directory the kubelet keeps (hostPaths below it go to `dir`). */
  kubeletDir: string;
  /** A kubeconfig carrying the pod's service-account token (for pods that mount one). */
  serviceAccountKubeconfig?: string;
  serviceAccountDir?: string;
}

export interface RunningPod {
  name: string;
  proc: ProcessHandle;
  /** The container's args after mapping. */
  args: string[];
}

const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Maps every mount path at a path boundary (longest first, one pass: no path is mapped twice). */
function remapper(mounts: Array<[string, string]>): (s: string) => string {
  if (!mounts.length) return (s) => s;
  const esc = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const alt = [...mounts].sort((a, b) => b[0].length - a[0].length).map(([m]) => esc(m));
  const re = new RegExp(`(?<![\\w.-])(${alt.join('|')})(?=/|$|["'\\s,])`, 'gm');
  const to = new Map(mounts);
  return (s) => s.replace(re, (m) => to.get(m) ?? m);
}

export function runPod(o: RunPodOptions): RunningPod {
  const spec = podSpecOf(o.workload);
  const main = spec.containers.find((c) => c.command?.[0] === 'node');
  if (!main) throw new Error(`${o.workload.metadata.name}: no container runs one of our services`);
  const service = /\/app\/dist\/apps\/([a-z-]+)\/main\.js$/.exec(main.command?.[1] ?? '')?.[1];
  if (!service) throw new Error(`${o.workload.metadata.name}: unexpected command ${main.command?.join(' ')}`);
  const lookup = (kind: string, name: string) => {
    const d = o.data.get(`${kind}/${name}`);
    if (!d) throw new Error(`${o.workload.metadata.name}: ${kind} ${name} does not exist`);
    return d;
  };

  // Volumes → directories.
  const volDirs = new Map<string, string>();
  const files: Array<{ path: string; text: string }> = [];
  for (const v of spec.volumes ?? []) {
    let d = join(o.dir, 'volumes', v.name);
    if (v.hostPath) {
      const p = v.hostPath.path;
      if (!(p === o.kubeletDir || p.startsWith(`${o.kubeletDir}/`))) d = p;
    }
    volDirs.set(v.name, d);
    if (!v.hostPath || d !== v.hostPath.path) mkdirSync(d, { recursive: true });
    const src = v.configMap ? lookup('ConfigMap', v.configMap.name) : v.secret ? lookup('Secret', v.secret.secretName) : undefined;
    if (src) {
      const items = (v.configMap?.items ?? v.secret?.items) ?? Object.keys(src).map((k) => ({ key: k, path: k }));
      for (const it of items) {
        const text = src[it.key];
        if (text === undefined) throw new Error(`${o.workload.metadata.name}: volume ${v.name} has no key ${it.key}`);
        files.push({ path: join(d, it.path), text });
      }
    }
  }
  const mounts: Array<[string, string]> = (main.volumeMounts ?? []).map((m) => {
    const d = volDirs.get(m.name);
    if (!d) throw new Error(`${o.workload.metadata.name}: mount of unknown volume ${m.name}`);
    return [m.mountPath, d];
  });
  const api = spec.automountServiceAccountToken !== false;
  if (api && o.serviceAccountDir) mounts.push([SA_MOUNT, o.serviceAccountDir]);
  const remap = remapper(mounts);
  for (const f of files) writeFileSync(f.path, remap(f.text), { mode: 0o600 });

  // Env, in order, with $(VAR) expanded from the variables before it (as the kubelet does).
  const env: Record<string, string> = {};
  for (const e of main.env ?? []) {
    const r = e.valueFrom;
    let value: string | undefined;
    if (e.value !== undefined) value = e.value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, n: string) => env[n] ?? m);
    else if (r?.secretKeyRef) value = lookup('Secret', r.secretKeyRef.name)[r.secretKeyRef.key];
    else if (r?.configMapKeyRef) value = lookup('ConfigMap', r.configMapKeyRef.name)[r.configMapKeyRef.key];
    else if (r?.fieldRef) value = o.downward[r.fieldRef.fieldPath];
    if (value === undefined) throw new Error(`${o.workload.metadata.name}: env ${e.name} has no value`);
    env[e.name] = remap(value);
  }
  if (api && o.serviceAccountKubeconfig) {
    // What a client library falls back to, and the services' own `kubeconfig` setting.
    env['KUBECONFIG'] = o.serviceAccountKubeconfig;
    env[`${service.toUpperCase().replace(/-/g, '_')}_KUBECONFIG`] = o.serviceAccountKubeconfig;
  }
  const args = (main.args ?? []).map(remap);
  // The image runs dist/apps/<service>/main.js; the same program from source here.
  const w = o.netns.wrap(process.execPath, ['--import', 'tsx', join(repoRoot, 'apps', service, 'src/main.ts'), ...args]);
  const proc = startProcess(w.command, w.args, { env: { ...env, HOME: o.dir } });
  return { name: o.workload.metadata.name, proc, args };
}
