// csi-controller: the CSI Identity + Controller services for ROSE Data Server volumes.
// Wiring only: config, SSH backend, optional Kubernetes client, CSI server, reconcilers.
import { readFileSync } from 'node:fs';
import { identityHandlers, startCsiServer } from '@mikrotik-kube/csi-common';
import { contracts } from '@mikrotik-kube/proto';
import { createService, every } from '@mikrotik-kube/service-kit';
import { AttachmentReconciler } from './attachment-reconciler';
import { type ControllerConfig, controllerSchema } from './config';
import { controllerHandlers } from './controller';
import { InFlight } from './inflight';
import { kubeClients, kubeSource } from './kube-client';
import { kubeNodes, staticNodes } from './nodes';
import { OrphanReconciler } from './orphan-reconciler';
import { RdsBackend } from './rds-backend';

const svc = createService<ControllerConfig>({ name: 'csi-controller', envPrefix: 'CSI_CONTROLLER_', schema: controllerSchema });
const { config, logger } = svc;
const { rds: r } = config;

if (!r.keyFile && r.password === undefined) {
  process.stderr.write('csi-controller: rds.keyFile or rds.password is required\n');
  process.exit(2);
}
if (!r.hostKey.length && !r.insecureSkipHostKey) {
  process.stderr.write('csi-controller: pin the RDS host key (rds.hostKey SHA256:…) or set rds.insecureSkipHostKey\n');
  process.exit(2);
}

const backend = new RdsBackend({
  client: {
    host: r.address,
    port: r.port,
    username: r.user,
    ...(r.keyFile ? { privateKey: readFileSync(r.keyFile) } : {}),
    ...(r.password !== undefined ? { password: r.password } : {}),
    hostKey: r.insecureSkipHostKey ? { allowUnknown: true } : { pins: r.hostKey },
    volumeBases: r.volumeBases,
    commandTimeoutMs: r.commandTimeoutMs,
    maxChannels: r.maxChannels,
  },
  logger,
  metrics: svc.metrics,
  retryAttempts: r.retryAttempts,
  retryBackoffMs: r.retryBackoffMs,
});
svc.shutdown.add('rds ssh', () => backend.close());

const kubeFrom = kubeSource(config.kubeconfig);
const kube = kubeClients(kubeFrom);
logger.info('kubernetes client', {
  source: kubeFrom.kind,
  ...(kubeFrom.kind === 'kubeconfig' ? { kubeconfig: kubeFrom.path } : {}),
  ...(kube ? {} : { note: 'no kubeconfig and not in a pod: static node list, reconcilers off' }),
});

const ctx = {
  rds: backend,
  inflight: new InFlight(),
  nodes: kube ? kubeNodes(kube.core) : staticNodes(config.nodes),
  logger,
  rdsAddress: r.address,
  volumeBases: r.volumeBases,
  maxVolumeBytes: config.csi.maxVolumeBytes,
};

await svc.startOps({ readiness: async () => ({ ok: await backend.probe().catch(() => false), detail: `rds ${r.address}:${r.port}` }) });
const csi = contracts.csi();
const server = await startCsiServer({
  endpoint: config.csi.endpoint,
  authorityFix: config.csi.authorityFix,
  logger,
  metrics: svc.metrics,
  maxMessageBytes: config.grpc.maxMessageBytes,
  services: [
    {
      definition: csi.Identity.service,
      impl: identityHandlers({ driverName: config.driverName, version: config.version, services: ['CONTROLLER_SERVICE'], onlineExpansion: true, probe: () => backend.probe() }),
    },
    { definition: csi.Controller.service, impl: controllerHandlers(ctx) },
  ],
});
svc.shutdown.add('csi server', () => server.stop(config.shutdownTimeoutSeconds * 800));

if (kube) {
  const { orphans, attachments } = config.reconcile;
  if (orphans.enabled) {
    const o = new OrphanReconciler({ ...orphans, driverName: config.driverName, rds: backend, core: kube.core, volumeBases: r.volumeBases, logger, metrics: svc.metrics, inflight: ctx.inflight });
    const loop = every('orphan reconcile', () => orphans.intervalSeconds * 1000, async () => void (await o.run()), logger);
    svc.shutdown.add('orphan reconciler', () => loop.stop());
  }
  if (attachments.enabled) {
    const a = new AttachmentReconciler({ ...attachments, driverName: config.driverName, rds: backend, core: kube.core, storage: kube.storage, volumeBases: r.volumeBases, logger, metrics: svc.metrics, inflight: ctx.inflight });
    const loop = every('attachment reconcile', () => attachments.intervalSeconds * 1000, async () => void (await a.run()), logger);
    svc.shutdown.add('attachment reconciler', () => loop.stop());
  }
}
svc.markReady();
logger.info('csi-controller ready', { endpoint: config.csi.endpoint, rds: `${r.address}:${r.port}`, kube: kubeFrom.kind });
