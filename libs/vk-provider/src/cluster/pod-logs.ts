// What the kubelet API reads from the router and the reconciler: for `kubectl logs` each
// container's lines from /container/log (RouterOS 7.20+) under its RouterOS name; for the
// usage routes one /container list and /system/resource. (GET /pods: core's reportPods.)
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { podKey } from '../core/naming';
import type { Reconciler } from '../core/reconciler';
import { LogsNotFound } from './kubelet-api';
import type { LogLine } from './log-query';
import type { RouterUsage } from './node-stats';

export interface KubeletSources {
  logs(namespace: string, pod: string, container: string): Promise<LogLine[]>;
  usage(): Promise<RouterUsage>;
}

export function kubeletSources(router: RouterOsClient, reconciler: Reconciler): KubeletSources {
  return { logs: podLogs(router, reconciler), usage: () => routerUsage(router) };
}

async function routerUsage(router: RouterOsClient): Promise<RouterUsage> {
  const [containers, resource] = await Promise.all([router.containers.list(), router.system.resource()]);
  return { containers, resource };
}

function podLogs(router: RouterOsClient, reconciler: Reconciler): KubeletSources['logs'] {
  return async (namespace, pod, container) => {
    const record = reconciler.records.get(podKey(namespace, pod));
    if (!record) throw new LogsNotFound(`pod ${namespace}/${pod} does not run on this node`);
    const c = record.plan?.containers.find((x) => x.name === container);
    if (!c) throw new LogsNotFound(`container ${container} is not valid for pod ${namespace}/${pod}`);
    if (!record.containers.has(container)) throw new LogsNotFound(`container ${container} in pod ${namespace}/${pod} has not been created yet`);
    return router.containers.logs(c.rosName);
  };
}
