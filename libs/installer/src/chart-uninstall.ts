// `helm uninstall` of the chart, the part Kubernetes cannot do (the chart's pre-delete hook,
// apps/uninstall): stop the release's router writers, remove from the router what the release
// made (release-cleanup.ts), delete its Virtual Kubelet Node. Bounded: whatever is not done by
// the deadline is reported, never waited for; the caller decides what a leftover means.
import { type AppsV1Api, ApiException, type CoreV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { type BaseConfig, type Logger, serviceSchema } from '@mikrotik-kube/service-kit';
import { type Leftovers, releaseLeftovers, type ReleaseDirs, removeReleaseFromRouter } from './release-cleanup';

export interface ChartUninstallOptions {
  router: RouterOsClient;
  dirs: ReleaseDirs;
  apps: AppsV1Api;
  core: CoreV1Api;
  namespace: string;
  /**
   * Deployments that write to the router (vk-provider, boot-supervisor): scaled to zero and
   * waited for first, so none creates or restarts a container while it is being removed.
   */
  stopDeployments: string[];
  /** The release's Virtual Kubelet Node; '' = none (standalone vk-provider). */
  nodeName: string;
  deadline: number;
  /** How long one container may take to stop. */
  stopTimeoutMs: number;
  pollMs?: number;
  logger: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const notFound = (e: unknown) => e instanceof ApiException && e.code === 404;

/** Returns what is left on the router (empty: nothing of the release). */
export async function uninstallChartRelease(o: ChartUninstallOptions): Promise<Leftovers> {
  const poll = o.pollMs ?? 1000;
  const left = () => o.deadline - Date.now();
  const within = <T>(what: string, p: Promise<T>): Promise<T> =>
    Promise.race([p, sleep(Math.max(0, left())).then(() => Promise.reject(new Error(`${what}: not done by the deadline`)))]);

  try {
    await within('stopping the router writers', stopDeployments(o, poll));
  } catch (e) {
    // Cleaning beside a running writer can be undone by it, but leaving everything is worse.
    o.logger.warn('router writers still running; cleaning up anyway', { error: (e as Error).message });
  }

  let leftovers: Leftovers = ['nothing removed yet'];
  for (let attempt = 1; left() > 0; attempt++) {
    try {
      await within('router cleanup', removeReleaseFromRouter(o.router, o.dirs, o.logger, Math.min(o.stopTimeoutMs, Math.max(1000, left()))));
      leftovers = await within('router check', releaseLeftovers(o.router, o.dirs, o.logger));
      if (!leftovers.length) break;
    } catch (e) {
      leftovers = [`router: ${(e as Error).message}`];
    }
    o.logger.warn('router cleanup incomplete; retrying', { attempt, leftovers });
    await sleep(Math.min(poll * 2, Math.max(0, left())));
  }

  if (o.nodeName) {
    try {
      await within('deleting the node', o.core.deleteNode({ name: o.nodeName }));
      o.logger.info('node deleted', { node: o.nodeName });
    } catch (e) {
      if (!notFound(e)) leftovers.push(`node ${o.nodeName}: ${(e as Error).message}`);
    }
  }
  return leftovers;
}

async function stopDeployments(o: ChartUninstallOptions, poll: number): Promise<void> {
  const selectors: string[] = [];
  for (const name of o.stopDeployments) {
    try {
      const d = await o.apps.readNamespacedDeployment({ name, namespace: o.namespace });
      const labels = d.spec?.selector.matchLabels ?? {};
      selectors.push(Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(','));
      await o.apps.patchNamespacedDeploymentScale({ name, namespace: o.namespace, body: { spec: { replicas: 0 } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      o.logger.info('deployment scaled to zero', { deployment: name });
    } catch (e) {
      if (!notFound(e)) throw e;
    }
  }
  for (const labelSelector of selectors) {
    while ((await o.core.listNamespacedPod({ namespace: o.namespace, labelSelector })).items.length) await sleep(poll);
  }
}

export interface UninstallConfig extends BaseConfig {
  /** vk-provider's and storage-converter's config files: the hook acts on what they configure. */
  vkProviderConfig: string;
  /** '' when the release has no storage-converter (then no tarballs or volumes of it exist). */
  storageConverterConfig: string;
  kubeconfig: string;
  namespace: string;
  stopDeployments: string[];
  timeoutSeconds: number;
}

export const uninstallSchema = serviceSchema(
  {
    vkProviderConfig: { type: 'string', minLength: 1 },
    storageConverterConfig: { type: 'string', default: '' },
    kubeconfig: { type: 'string', default: '' },
    namespace: { type: 'string', minLength: 1 },
    stopDeployments: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    timeoutSeconds: { type: 'number', minimum: 1, default: 120 },
  },
  ['vkProviderConfig', 'namespace'],
);
