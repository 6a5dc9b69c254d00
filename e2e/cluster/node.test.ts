// The one-node cluster of tools/testenv/cluster.sh, as its users (the chart e2e) rely on it: a
// real kubelet on containerd + runc registers a Ready node and runs a pod (of the sandbox image),
// the API server reaches the kubelet (the logs/exec path), pods reach the API server through the
// `kubernetes` Service; stopping undoes every trace on the host.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { waitFor } from '@mikrotik-kube/test-support';
import { pauseImage, requireCluster, startCluster, testenvBin, type Cluster } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const skip = requireCluster();
if (skip) console.warn(`[cluster node] SKIPPED: ${skip}`);

const cgroupDirs = (name: string) =>
  readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f[2] === 'cgroup')
    .map((f) => `${f[1]}/${name}`)
    .filter((d) => existsSync(d));

describe.skipIf(!!skip)(`one-node cluster (kubelet, containerd, kube-proxy, CoreDNS) in its own network namespace ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let cluster: Cluster;
  const mountPoints = ['/var/lib/kubelet', '/var/lib/cni', '/var/log/pods', '/var/log/containers', '/run/containerd'];
  const existedBefore = new Set(mountPoints.filter((d) => existsSync(d)));
  const kubectl = (args: string[], input?: string) => cluster.exec(testenvBin('kubectl') as string, args, { input });

  beforeAll(async () => {
    cluster = await startCluster();
  }, 480_000);
  afterAll(async () => {
    await cluster?.stop();
  }, 120_000);

  it('the node is Ready, with the bridge address as its InternalIP, and has no route out of its namespace', () => {
    const node = JSON.parse(kubectl(['get', 'node', cluster.nodeName, '-o', 'json']).stdout) as {
      status: { conditions: Array<{ type: string; status: string }>; addresses: Array<{ type: string; address: string }>; nodeInfo: { containerRuntimeVersion: string; kubeletVersion: string } };
    };
    expect(node.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(node.status.addresses).toContainEqual({ type: 'InternalIP', address: cluster.nodeIp });
    expect(node.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\./);
    expect(node.status.nodeInfo.kubeletVersion).toBe('v1.37.2');
    const routes = cluster.exec('ip', ['route', 'show', 'default']);
    expect(routes.stdout.trim()).toBe('');
    expect(cluster.exec('ip', ['-4', 'route', 'get', '192.168.88.1']).code).not.toBe(0);
  });

  it('runs a pod; the API server reaches its kubelet; the pod reaches the API server through the kubernetes Service', async () => {
    const ns = `smoke-${process.pid}`;
    expect(kubectl(['create', 'namespace', ns]).code).toBe(0);
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pause', namespace: ns },
      spec: { containers: [{ name: 'pause', image: pauseImage, imagePullPolicy: 'Never' }], terminationGracePeriodSeconds: 1 },
    };
    const r = kubectl(['apply', '-f', '-'], JSON.stringify(pod));
    expect(r.code, r.stderr).toBe(0);
    const w = kubectl(['-n', ns, 'wait', '--for=condition=Ready', 'pod/pause', '--timeout=120s']);
    expect(w.code, `${w.stderr}\n${kubectl(['-n', ns, 'describe', 'pod', 'pause']).stdout}`).toBe(0);
    const ip = kubectl(['-n', ns, 'get', 'pod', 'pause', '-o', 'jsonpath={.status.podIP}']).stdout;
    expect(ip).toMatch(/^10\.244\.0\.\d+$/);
    // API server -> kubelet (the path of kubectl logs/exec), authorized by the kubelet's webhook.
    const healthz = kubectl(['get', '--raw', `/api/v1/nodes/${cluster.nodeName}/proxy/healthz`]);
    expect(healthz.stdout.trim()).toBe('ok');
    const running = kubectl(['get', '--raw', `/api/v1/nodes/${cluster.nodeName}/proxy/pods`]);
    expect(running.stdout).toContain('"name":"pause"');
    // The kubernetes Service has the node address as endpoint, and kube-proxy programs it: the
    // ClusterIP answers from the pod's network namespace.
    const ep = kubectl(['get', 'endpointslices', '-n', 'default', '-l', 'kubernetes.io/service-name=kubernetes', '-o', 'jsonpath={.items[0].endpoints[0].addresses[0]}']);
    expect(ep.stdout).toBe(cluster.nodeIp);
    const pid = await waitFor(() => {
      const ps = cluster.exec('sh', ['-c', `ctr --address ${cluster.containerdSocket} -n k8s.io tasks ls | awk '$3=="RUNNING"{print $2}' | head -1`]);
      return ps.stdout.trim();
    }, 20_000);
    const curl = cluster.exec('nsenter', ['-t', pid, '-n', 'curl', '-sk', '--max-time', '5', 'https://10.0.0.1/readyz']);
    // Anonymous access to /readyz is allowed by the default RBAC: "ok" means we got through.
    expect(curl.stdout.trim()).toBe('ok');
    expect(kubectl(['delete', 'namespace', ns, '--wait=true', '--timeout=90s']).code).toBe(0);
  }, 240_000);

  it('stop undoes it all: processes, network namespace, cgroups, mount points', async () => {
    const { netns, dir } = cluster;
    const id = netns.replace('mk-cluster-', '');
    await cluster.stop();
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(dir);
    expect(existsSync(`/run/netns/${netns}`)).toBe(false);
    expect(existsSync(`/etc/netns/${netns}`)).toBe(false);
    expect(cgroupDirs(netns)).toEqual([]);
    expect(existsSync(`/run/mk-testenv/cluster-${id}`)).toBe(false);
    // Mount points it had to make on the host are gone again (ones that existed before stay),
    // unless another cluster run (make test runs chart.test.ts beside this) made or inherited them.
    // Read under the lock cluster.sh makes and records them under: a run starting meanwhile
    // cannot have made a directory it has not recorded yet.
    const snap = spawnSync('flock', ['/run/mk-testenv/.dirs.lock', 'sh', '-c', 'for d in "$@"; do [ -d "$d" ] && echo "exists $d"; done; cat /run/mk-testenv/cluster-* 2>/dev/null; true', 'sh', ...mountPoints], { encoding: 'utf8' });
    expect(snap.status, snap.stderr).toBe(0);
    const lines = snap.stdout.split('\n');
    const field = (word: string) => new Set(lines.filter((l) => l.startsWith(`${word} `)).map((l) => l.slice(word.length + 1)));
    const [exist, recorded] = [field('exists'), field('created')];
    expect(mountPoints.filter((d) => exist.has(d) && !existedBefore.has(d) && !recorded.has(d))).toEqual([]);
    const left = readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir);
        } catch {
          return false;
        }
      });
    expect(left).toEqual([]);
  }, 120_000);
});
