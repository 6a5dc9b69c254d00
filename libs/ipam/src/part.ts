// ipam's wiring, hosted by apps/ipam (its own process) or by the all-in-one process:
// RouterOS client, allocator, the Ipam gRPC service, the first sync and the periodic repair.
import type { GrpcServer } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { every, type Host, type Running } from '@mikrotik-kube/service-kit';
import { Allocator } from './allocator';
import type { IpamConfig } from './config';
import { registerIpamMetrics } from './metrics';
import { parseNetworks } from './network';
import { Reconciler } from './reconcile';
import { restRouter } from './router-rest';
import { ipamHandlers } from './service';
import { syncUntilDone } from './startup';

export interface IpamPart {
  start(host: Host, grpc: GrpcServer): Running;
}

/** Checks the address arithmetic now (ConfigError naming the field); start() wires the service. */
export function ipamPart(config: IpamConfig): IpamPart {
  const networks = parseNetworks(config.networks);
  return {
    start({ logger, metrics: registry, shutdown }, grpc) {
      const client = clientFromConfig(config.routeros);
      shutdown.add('routeros client', () => client.close());
      const metrics = registerIpamMetrics(registry, () => allocator.pools.values());
      const allocator = new Allocator(networks, restRouter(client), logger, { conflict: (n) => metrics.conflicts.inc({ network: n }) }, Date.now, {
        replicaIdentity: config.replicaIdentity,
      });
      const reconciler = new Reconciler(allocator, config.reconcile.graceSeconds * 1000);
      grpc.addService(contracts.ipam().Ipam.service, ipamHandlers(allocator, reconciler, metrics));
      logger.info('ipam networks', { networks: networks.map((n) => n.name) });

      const stopSync = new AbortController();
      shutdown.add('startup sync', () => stopSync.abort());
      shutdown.add('cleanup', () => allocator.cleanup.stop());
      // ipam answers UNAVAILABLE until this first sync is done (clients retry).
      const ready = syncUntilDone(allocator, logger, stopSync.signal).then(() => {
        if (stopSync.signal.aborted) return;
        allocator.cleanup.start();
        const repairMs = config.reconcile.repairIntervalSeconds * 1000;
        if (repairMs > 0) {
          // Claims another replica left half-made when it died are completed or removed here,
          // without waiting for that replica to restart or for the next Reconcile.
          const repair = every('router repair', repairMs, () => allocator.sync({ repair: true }), logger);
          shutdown.add('router repair', () => repair.stop());
        }
      });
      return { ready };
    },
  };
}
