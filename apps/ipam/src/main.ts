// ipam: container addresses on the router's bridges (see allocator.ts).
// Wiring only: config, RouterOS client, allocator, gRPC server, first sync.
import { GrpcServer } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { ConfigError, createService, every } from '@mikrotik-kube/service-kit';
import { Allocator, type IpamConfig, ipamHandlers, ipamSchema, type Network, parseNetworks, Reconciler, registerIpamMetrics, restRouter, syncUntilDone } from '@mikrotik-kube/ipam';

const svc = createService<IpamConfig>({ name: 'ipam', envPrefix: 'IPAM_', schema: ipamSchema });
const { config, logger } = svc;

let networks: Network[];
try {
  networks = parseNetworks(config.networks);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`ipam: ${err.message}\n`);
  process.exit(2);
}

const client = clientFromConfig(config.routeros);
svc.shutdown.add('routeros client', () => client.close());

const metrics = registerIpamMetrics(svc.metrics, () => allocator.pools.values());
const allocator = new Allocator(networks, restRouter(client), logger, { conflict: (n) => metrics.conflicts.inc({ network: n }) });
const reconciler = new Reconciler(allocator, config.reconcile.graceSeconds * 1000);

const grpcServer = new GrpcServer({ logger, metrics: svc.metrics, maxMessageBytes: config.grpc.maxMessageBytes, tokenFile: config.grpc.tokenFile });
grpcServer.addService(contracts.ipam().Ipam.service, ipamHandlers(allocator, reconciler, metrics));
await svc.startOps();
const port = await grpcServer.listen(`${config.grpc.host}:${config.grpc.port}`);
grpcServer.setServing(false);
svc.shutdown.add('grpc server', () => grpcServer.shutdown(config.shutdownTimeoutSeconds * 800));
logger.info('listening', { grpcPort: port, networks: networks.map((n) => n.name) });

const stopSync = new AbortController();
svc.shutdown.add('startup sync', () => stopSync.abort());
svc.shutdown.add('cleanup', () => allocator.cleanup.stop());
await syncUntilDone(allocator, logger, stopSync.signal);
if (!stopSync.signal.aborted) {
  allocator.cleanup.start();
  const repairMs = config.reconcile.repairIntervalSeconds * 1000;
  if (repairMs > 0) {
    // Claims another replica left half-made when it died are completed or removed here,
    // without waiting for that replica to restart or for the next Reconcile.
    const repair = every('router repair', () => repairMs, async () => void (await allocator.sync({ repair: true })), logger);
    svc.shutdown.add('router repair', () => repair.stop());
  }
  grpcServer.setServing(true);
  svc.markReady();
}
