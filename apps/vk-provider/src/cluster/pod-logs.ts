// What the kubelet API reads for `kubectl logs` and GET /pods: our pods as the
// reconciler knows them, each container's lines from the router's
// /container/log (RouterOS 7.20+) under its RouterOS name.
import type { V1Pod } from '@kubernetes/client-node';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { podKey } from '../core/naming';
import { reportPod } from '../core/pod-status';
import type { Reconciler } from '../core/reconciler';
import type { UnitStatus } from '../core/services';
import { LogsNotFound } from './kubelet-api';
import type { LogLine } from './log-query';

export function podLogs(router: RouterOsClient, reconciler: Reconciler): (namespace: string, pod: string, container: string) => Promise<LogLine[]> {
  return async (namespace, pod, container) => {
    const record = reconciler.records.get(podKey(namespace, pod));
    if (!record) throw new LogsNotFound(`pod ${namespace}/${pod} does not run on this node`);
    const c = record.plan?.containers.find((x) => x.name === container);
    if (!c) throw new LogsNotFound(`container ${container} is not valid for pod ${namespace}/${pod}`);
    if (!record.containers.has(container)) throw new LogsNotFound(`container ${container} in pod ${namespace}/${pod} has not been created yet`);
    return router.containers.logs(c.rosName);
  };
}

export function runningPods(reconciler: Reconciler, units: ReadonlyMap<string, UnitStatus>): V1Pod[] {
  return [...reconciler.records.values()].map((r) => reportPod(r, units));
}
