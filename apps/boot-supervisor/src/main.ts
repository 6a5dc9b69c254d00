// boot-supervisor: systemd-like boot order, probes and watchdog for RouterOS
// containers. Wires config, the router client, the engine, leader election,
// the gRPC service and the ops port.
import { GrpcServer } from '@mikrotik-kube/grpc-kit';
import { leaderIdentity } from '@mikrotik-kube/leader-election';
import { contracts } from '@mikrotik-kube/proto';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { createService } from '@mikrotik-kube/service-kit';
import { configSchema, createElector, RouterOsRouter, StateFile, Supervisor, type SupervisorConfig, SupervisorMetrics, supervisorService } from '@mikrotik-kube/boot-supervisor';

const svc = createService<SupervisorConfig>({ name: 'boot-supervisor', envPrefix: 'BOOT_SUPERVISOR_', schema: configSchema });
const { config, logger, shutdown } = svc;
const s = config.systemd;

const client = clientFromConfig(config.routeros);
shutdown.add('routeros client', () => client.close());

const supervisor = new Supervisor({
  router: new RouterOsRouter(client),
  logger,
  metrics: new SupervisorMetrics(svc.metrics),
  ...(config.stateFile ? { stateFile: new StateFile(config.stateFile) } : {}),
  pollIntervalMs: s.pollIntervalMs,
  maxParallelStarts: s.maxParallelStarts,
  startGraceMs: s.startGraceMs,
  watchdog: {
    defaultMaxRestarts: s.maxRestarts,
    backoff: { ...s.backoff, windowMs: s.restartWindowSeconds * 1000 },
  },
});
shutdown.add('supervisor', () => supervisor.deactivate('shutting down'));

const grpc = new GrpcServer({ logger, metrics: svc.metrics, maxMessageBytes: config.grpc.maxMessageBytes, tokenFile: config.grpc.tokenFile });
grpc.addService(contracts.supervisor().Supervisor.service, supervisorService(supervisor));
await grpc.listen(`${config.grpc.host}:${config.grpc.port}`);
shutdown.add('grpc server', () => grpc.shutdown(config.shutdownTimeoutSeconds * 500));

// Only the leader is ready: a Kubernetes Service then routes clients to it alone.
await svc.startOps({ readiness: () => (supervisor.isActive ? { ok: true } : { ok: false, detail: 'standing by' }) });

const l = config.leader;
const elector = createElector({
  kubeconfig: config.kubeconfig,
  namespace: l.namespace,
  name: l.leaseName,
  identity: l.identity || leaderIdentity(),
  leaseDurationMs: l.leaseDurationSeconds * 1000,
  renewDeadlineMs: l.renewDeadlineSeconds * 1000,
  retryPeriodMs: l.retryPeriodSeconds * 1000,
  logger,
});
// Registered last so it runs first on SIGTERM: stop acting, then hand the lease over.
shutdown.add('leader election', () => elector.stop());
// Deactivation is awaited: a supervisor that lost the lease campaigns again only once it stopped acting.
await elector.start((leading) => (leading ? supervisor.activate() : supervisor.deactivate('lost leadership')));
svc.markReady();
