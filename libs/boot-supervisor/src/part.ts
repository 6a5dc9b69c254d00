// boot-supervisor's wiring, hosted by apps/boot-supervisor (its own process) or by the all-in-one
// process: the router client, the engine, the Supervisor gRPC service and leader election.
import type { GrpcServer } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import type { Host, Running } from '@mikrotik-kube/service-kit';
import type { SupervisorConfig } from './config';
import { createElector } from './leader';
import { SupervisorMetrics } from './metrics';
import { RouterOsRouter } from './routeros-router';
import { supervisorService } from './service';
import { StateFile } from './state-file';
import { Supervisor } from './supervisor';

export function startSupervisor({ logger, metrics, shutdown }: Host, grpc: GrpcServer, config: SupervisorConfig): Running {
  const s = config.systemd;
  const client = clientFromConfig(config.routeros);
  shutdown.add('routeros client', () => client.close());

  const supervisor = new Supervisor({
    router: new RouterOsRouter(client),
    logger,
    metrics: new SupervisorMetrics(metrics),
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
  grpc.addService(contracts.supervisor().Supervisor.service, supervisorService(supervisor));

  const l = config.leader;
  const elector = createElector({
    kubeconfig: config.kubeconfig,
    namespace: l.namespace,
    name: l.leaseName,
    identity: l.identity,
    leaseDurationMs: l.leaseDurationSeconds * 1000,
    renewDeadlineMs: l.renewDeadlineSeconds * 1000,
    retryPeriodMs: l.retryPeriodSeconds * 1000,
    logger,
  });
  // Registered last so it runs first on SIGTERM: stop acting, then hand the lease over.
  shutdown.add('leader election', async () => (await elector).stop());
  return {
    // Deactivation is awaited: a supervisor that lost the lease campaigns again only once it stopped acting.
    ready: elector.then((e) => e.start((leading) => (leading ? supervisor.activate() : supervisor.deactivate('lost leadership')))),
    // Only the leader is ready: a Kubernetes Service then routes clients to it alone.
    readiness: () => (supervisor.isActive ? { ok: true } : { ok: false, detail: 'standing by' }),
  };
}
