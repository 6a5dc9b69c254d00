// vk-provider as a Virtual Kubelet node for the cluster-mode suites: a real control plane
// (tools/testenv), everything `make demo` runs except vk-provider (RouterOS simulator,
// registry, ipam, storage-converter, boot-supervisor) and vk-provider processes in cluster
// mode on one config, with kubectl as a user runs it.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { freePort, startTsProcess, waitFor, type ProcessHandle } from '@mikrotik-kube/test-support';
import { startControlPlane, testenvBin, type ControlPlane } from '@mikrotik-kube/testenv';
import { stringify } from 'yaml';
import { DEMO_PASSWORD, DEMO_USER, type DemoContext, type StackOptions, demoComponents, startStack, type Stack } from '@mikrotik-kube/demo-stack';

const run = promisify(execFile);

export interface ClusterStack {
  cp: ControlPlane;
  stack: Stack;
  kc: KubeConfig;
  core: CoreV1Api;
  router: RouterOsClient;
  kubectlBin: string;
  /** vk-provider's config file and its ops (metrics) port. */
  vkConfig: string;
  opsPort: number;
  kubectl(...args: string[]): Promise<string>;
  /** `kubectl apply -f` of a YAML text. */
  apply(yaml: string): Promise<string>;
  /** Starts a vk-provider replica on the config (extra flags appended). */
  startReplica(...args: string[]): Promise<ProcessHandle>;
  /** Waits until the node is Ready. */
  nodeReady(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the control plane and the services; the caller starts vk-provider (startReplica). */
export async function startClusterStack(node: string, opts: Pick<StackOptions, 'network' | 'containers' | 'images'>): Promise<ClusterStack> {
  const kubectlBin = testenvBin('kubectl') as string;
  const cp = await startControlPlane();
  let stack: Stack | undefined;
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    stack = await startStack(
      // RouterOS 7.23: the first version that reports container cpu and memory (for /stats).
      demoComponents.filter((c) => c.name !== 'vk-provider').map((c) => (c.name === 'routeros-sim' ? { ...c, args: (ctx: DemoContext) => [...c.args(ctx), '--routeros-version', '7.23'] } : c)),
      opts,
    );
    const s = stack;
    const router = new RouterOsClient({ url: s.ctx.urls['rest'] as string, username: DEMO_USER, password: DEMO_PASSWORD });
    const grpc = (name: string) => `127.0.0.1:${s.ctx.ports[`${name}.grpc`]}`;
    const vkConfig = join(s.ctx.dataDir, 'vk-cluster.yaml');
    const opsPort = await freePort();
    writeFileSync(
      vkConfig,
      stringify({
        routeros: { url: s.ctx.urls['rest'], user: DEMO_USER, password: DEMO_PASSWORD },
        services: { ipam: grpc('ipam'), storage: grpc('storage-converter'), supervisor: grpc('boot-supervisor') },
        reconcile: { resyncSeconds: 5 },
        cluster: {
          kubeconfig: cp.kubeconfig,
          nodeName: node,
          pingSeconds: 1,
          statusSeconds: 3,
          leaseDurationSeconds: 4,
          leaderElection: { leaseDurationSeconds: 4, renewDeadlineSeconds: 3, retryPeriodSeconds: 0.5 },
        },
        // No certificate files: vk-provider asks the cluster for one (CSR); the API server's
        // kubelet client certificate (signed by the testenv CA) is required.
        kubelet: { host: '127.0.0.1', port: await freePort(), clientCaFile: join(cp.dir, 'pki/ca.crt') },
        http: { host: '127.0.0.1', port: opsPort },
      }),
    );
    const core = kc.makeApiClient(CoreV1Api);
    const kubectl = async (...args: string[]) => (await run(kubectlBin, ['--kubeconfig', cp.kubeconfig, ...args], { timeout: 60_000 })).stdout;
    return {
      cp,
      stack: s,
      kc,
      core,
      router,
      kubectlBin,
      vkConfig,
      opsPort,
      kubectl,
      async apply(yaml) {
        const file = join(s.ctx.dataDir, `apply-${Date.now()}.yaml`);
        writeFileSync(file, yaml);
        return kubectl('apply', '-f', file);
      },
      async startReplica(...args) {
        const p = startTsProcess('apps/vk-provider/src/main.ts', { env: cp.childEnv(), args: ['--config', vkConfig, ...args] });
        await p.waitForLine(/"message":"cluster mode"/, 60_000);
        return p;
      },
      async nodeReady() {
        await waitFor(async () => {
          const n = await core.readNode({ name: node }).catch(() => undefined);
          return n?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') || undefined;
        }, 60_000);
      },
      async stop() {
        router.close();
        await s.stop();
        await cp.stop();
      },
    };
  } catch (e) {
    await stack?.stop();
    await cp.stop();
    throw e;
  }
}
