// Cluster mode's node side: the Node object and its status loop, and — once
// the Node exists (its uid owns the Lease) — the lease heartbeat.
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Logger, Readiness } from '@mikrotik-kube/service-kit';
import type { ClusterConfig } from '../config';
import type { KubeClients } from './kube';
import { NodeLease } from './lease';
import { NodeController } from './node';
import type { ServingCsrStatus } from './serving-csr-status';

export interface ClusterNode {
  /** Ready once the Node is registered. */
  readiness(): Readiness;
  stop(): Promise<void>;
}

export interface ClusterNodeOptions {
  kube: KubeClients;
  router: RouterOsClient;
  routerUrl: string;
  cluster: ClusterConfig;
  kubelet?: { address?: string; port: number };
  servingCsr?: ServingCsrStatus;
  logger: Logger;
}

export function startClusterNode(o: ClusterNodeOptions): ClusterNode {
  let lease: NodeLease | undefined;
  const node = new NodeController({
    core: o.kube.core,
    router: o.router,
    cluster: o.cluster,
    routerUrl: o.routerUrl,
    kubelet: o.kubelet,
    servingCsr: o.servingCsr,
    logger: o.logger,
    onRegistered: (registered) => {
      // A re-registered node has a new uid: the old lease loop (owned by the old uid) goes.
      void lease?.stop();
      lease = new NodeLease({ coordination: o.kube.coordination, node: registered, durationSeconds: o.cluster.leaseDurationSeconds, logger: o.logger });
      lease.start();
    },
  });
  node.start();
  return {
    readiness: () => (node.node ? { ok: true } : { ok: false, detail: `node ${o.cluster.nodeName} not registered yet` }),
    async stop() {
      await node.stop();
      await lease?.stop();
    },
  };
}
