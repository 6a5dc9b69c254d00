// A real one-node cluster (tools/testenv/cluster.sh): control plane, containerd + runc, kubelet,
// kube-proxy and CoreDNS, all inside a network namespace of its own with no route out. Clients
// (kubectl, helm, the simulator playing the router) run inside it through exec()/wrap().
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
// index.ts re-exports this module: only call-time uses of its bindings here (no import cycle at load).
import { type ControlPlane, type ControlPlaneOptions, requireControlPlane, requireTestPeers, startOnce } from './index';
import { requireNetns } from './netns';

const root = resolve(import.meta.dirname, '../../..');
export const clusterScript = join(root, 'tools/testenv/cluster.sh');
/** The sandbox image cluster.sh imports (tools/images/test-images.sh). */
export const pauseImage = 'mikrotik-kube.test/pause:3.10';
const pauseArchive = join(root, '.cache/images/test/pause.oci.tar');

export interface ImageArchive {
  /** The reference recorded in the archive (what a pod spec names). */
  ref: string;
  archive: string;
}

/** This tree's image (tools/images/build.sh: `make cluster-images`), as containerd imports it. */
export function productImage(): ImageArchive {
  const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  return { ref: `ghcr.io/mikrotik-kube/mikrotik-kube:${version}`, archive: join(root, `dist/images/mikrotik-kube-${version}.oci.tar`) };
}

/** The test images of tools/images/test-images.sh by name (pause, csi-provisioner, …), from its --list. */
export function testImages(): Record<string, ImageArchive> {
  const r = spawnSync('bash', [join(root, 'tools/images/test-images.sh'), '--list'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`test-images.sh --list: ${r.stderr}`);
  const out: Record<string, ImageArchive> = {};
  for (const line of r.stdout.split('\n')) {
    const [name, ref, archive] = line.trim().split(/\s+/);
    if (name && ref && archive) out[name] = { ref, archive };
  }
  return out;
}

export const clusterPeers = ['kubelet', 'kube-proxy', 'coredns', 'kubectl'] as const;

/** Skip reason when the one-node cluster cannot run here (not root, missing peers or packages). */
export function requireCluster(): string | undefined {
  const r = requireNetns() ?? requireControlPlane() ?? requireTestPeers(...clusterPeers);
  if (r) return r;
  const missing = ['containerd', 'runc', 'ctr', 'iptables'].filter((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status !== 0);
  if (!existsSync('/usr/lib/cni/bridge')) missing.push('/usr/lib/cni/bridge');
  if (missing.length) return `the cluster needs ${missing.join(', ')} (Debian packages containerd, runc, iptables, containernetworking-plugins: make deps)`;
  if (!existsSync(pauseArchive)) return `no sandbox image ${pauseArchive} (run \`make test-images\`)`;
  return undefined;
}

export interface Cluster extends ControlPlane {
  netns: string;
  nodeName: string;
  nodeIp: string;
  /** Addresses on the node's bridge a test may give the router and the RDS. */
  routerIp: string;
  rdsIp: string;
  containerdSocket: string;
  /** argv that runs cmd inside the cluster's network and mount namespaces (as a process on the node). */
  wrap(cmd: string, args?: string[]): { command: string; args: string[] };
  /** Runs cmd inside the namespace with KUBECONFIG and the peers on PATH. */
  exec(cmd: string, args?: string[], opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): { code: number; stdout: string; stderr: string };
}

export interface ClusterOptions extends Omit<ControlPlaneOptions, 'netns'> {
  /** OCI archives imported into containerd before the kubelet starts (besides the sandbox image). */
  images?: string[];
  nodeName?: string;
}

export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const skip = requireCluster();
  if (skip) throw new Error(skip);
  const env: NodeJS.ProcessEnv = {
    TESTENV_CLUSTER_IMAGES: (opts.images ?? []).join(' '),
    ...(opts.nodeName ? { TESTENV_NODE_NAME: opts.nodeName } : {}),
  };
  const cp = await startOnce(clusterScript, 'testenv-cluster-', { timeoutMs: 420_000, ...opts, env });
  const e = cp.env;
  const need = (k: string) => {
    const v = e[k];
    if (!v) throw new Error(`cluster.sh printed no ${k}`);
    return v;
  };
  const netns = need('NETNS');
  // The cluster's own mount namespace too (not a fresh one of `ip netns exec`): its cgroup mounts,
  // kubelet dirs and /etc/netns binds, what a process on the node sees.
  const mountPid = need('MOUNT_PID');
  const wrap = (cmd: string, args: string[] = []) => ({ command: 'nsenter', args: ['--target', mountPid, '--mount', '--net', `--wd=${process.cwd()}`, cmd, ...args] });
  return {
    ...cp,
    netns,
    nodeName: need('NODE_NAME'),
    nodeIp: need('NODE_IP'),
    routerIp: need('ROUTER_IP'),
    rdsIp: need('RDS_IP'),
    containerdSocket: need('CONTAINERD_SOCKET'),
    wrap,
    exec(cmd, args = [], o = {}) {
      const w = wrap(cmd, args);
      const r = spawnSync(w.command, w.args, {
        encoding: 'utf8',
        env: { ...cp.childEnv(), ...o.env },
        input: o.input,
        timeout: o.timeoutMs ?? 300_000,
        maxBuffer: 64 * 1024 * 1024,
      });
      if (r.error) throw r.error;
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
  };
}
