// What the kubelet API reads from the router and the reconciler: for `kubectl logs` each
// container's lines from /container/log (RouterOS 7.20+) under its RouterOS name (found by its
// tag while the reconciler has not planned the pod yet); for the
// usage routes one /container list and /system/resource. (GET /pods: core's reportPods.)
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { podKey } from '../core/naming';
import type { PodRecord, Reconciler } from '../core/reconciler';
import { observePods } from '../core/router-objects';
import { LogsNotFound } from './kubelet-api';
import type { LogLine } from './log-query';
import type { RouterUsage } from './node-stats';

export interface KubeletSources {
  logs(namespace: string, pod: string, container: string): Promise<LogLine[]>;
  usage(): Promise<RouterUsage>;
}

export function kubeletSources(router: RouterOsClient, reconciler: Reconciler): KubeletSources {
  return { logs: podLogs(router, reconciler.records), usage: () => routerUsage(router) };
}

async function routerUsage(router: RouterOsClient): Promise<RouterUsage> {
  const [containers, resource] = await Promise.all([router.containers.list(), router.system.resource()]);
  return { containers, resource };
}

/**
 * A pod this process has not planned yet — a replica that has just taken over adopts the
 * running pods in its first pass, which may take a while — is looked up on the router by its
 * containers' tags: what runs there can be read before the pass reaches it.
 */
export function podLogs(router: RouterOsClient, records: ReadonlyMap<string, PodRecord>): KubeletSources['logs'] {
  return async (namespace, pod, container) => {
    const key = podKey(namespace, pod);
    const record = records.get(key);
    if (!record?.plan) {
      const running = (await observePods(router)).get(key)?.containers.find((o) => o.tag.container === container);
      if (running) return router.containers.logs(running.container.name);
      throw new LogsNotFound(record ? `container ${container} is not valid for pod ${namespace}/${pod}` : `pod ${namespace}/${pod} does not run on this node`);
    }
    const c = record.plan.containers.find((x) => x.name === container);
    if (!c) throw new LogsNotFound(`container ${container} is not valid for pod ${namespace}/${pod}`);
    if (!record.containers.has(container)) throw new LogsNotFound(`container ${container} in pod ${namespace}/${pod} has not been created yet`);
    return router.containers.logs(c.rosName);
  };
}
