// csi-controller: the CSI Identity + Controller services for ROSE Data Server volumes.
// Wiring only: config, SSH backend, optional Kubernetes client, CSI server, reconcilers (run by
// the holder of the reconcile Lease only).
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { identityHandlers, startCsiServer } from '@mikrotik-kube/csi-common';
import { LeaderElector, leaderIdentity } from '@mikrotik-kube/leader-election';
import { contracts } from '@mikrotik-kube/proto';
import { createService, type Readiness } from '@mikrotik-kube/service-kit';
import { AttachmentReconciler } from './attachment-reconciler';
import { type ControllerConfig, controllerSchema } from './config';
import { controllerHandlers } from './controller';
import { InFlight } from './inflight';
import { kubeClients, kubeSource } from './kube-client';
import { kubeNodes, staticNodes } from './nodes';
import { OrphanReconciler } from './orphan-reconciler';
import { RdsBackend, rdsMetrics } from './rds-backend';
import { reconcileLeaseName, type ReconcileLoop, ReconcileLoops } from './reconcile-loops';
import { type Target, Targets } from './targets';

const svc = createService<ControllerConfig>({ name: 'csi-controller', envPrefix: 'CSI_CONTROLLER_', schema: controllerSchema });
const { config, logger } = svc;
const { rds: r } = config;

/** The single-target fields (when `rds.address` is set) are the target named defaultTarget; `rds.targets` add more. */
const targetConfigs = [...(r.address ? [{ ...r, name: r.defaultTarget, address: r.address }] : []), ...r.targets];
const fail = (message: string): never => {
  process.stderr.write(`csi-controller: ${message}\n`);
  process.exit(2);
};
if (!targetConfigs.length) fail('configure an RDS: rds.address, or rds.targets[]');
const metrics = rdsMetrics(svc.metrics);
const targetList: Target[] = targetConfigs.map((t) => {
  if (!t.keyFile && t.password === undefined) fail(`RDS target ${t.name}: keyFile or password is required`);
  if (!t.hostKey.length && !t.insecureSkipHostKey) fail(`RDS target ${t.name}: pin the RDS host key (hostKey SHA256:…) or set insecureSkipHostKey`);
  const nvmeAddress = t.nvmeAddress ?? (isIP(t.address) ? t.address : undefined);
  const rds = new RdsBackend({
    client: {
      host: t.address,
      port: t.port,
      username: t.user,
      ...(t.keyFile ? { privateKey: readFileSync(t.keyFile) } : {}),
      ...(t.password !== undefined ? { password: t.password } : {}),
      hostKey: t.insecureSkipHostKey ? { allowUnknown: true } : { pins: t.hostKey },
      volumeBases: t.volumeBases,
      commandTimeoutMs: r.commandTimeoutMs,
      maxChannels: r.maxChannels,
      connections: r.connections,
    },
    target: t.name,
    logger,
    metrics,
    retryAttempts: r.retryAttempts,
    retryBackoffMs: r.retryBackoffMs,
  });
  svc.shutdown.add(`rds ssh ${t.name}`, () => rds.close());
  return { name: t.name, rds, address: t.address, port: t.port, ...(nvmeAddress ? { nvmeAddress } : {}), nvmePort: t.nvmePort, volumeBases: t.volumeBases, btrfsSubvolumes: t.btrfsSubvolumes };
});
const targets = ((): Targets => {
  try {
    return new Targets(targetList, r.defaultTarget);
  } catch (e) {
    return fail((e as Error).message);
  }
})();
/** Ready (and live, for the livenessprobe sidecar) when every configured RDS answers. */
const probe = async () => (await Promise.all(targets.list.map((t) => t.rds.probe()))).every(Boolean);
const where = targets.list.map((t) => `${t.name}=${t.address}:${t.port}`).join(' ');

const kubeFrom = kubeSource(config.kubeconfig);
const kube = kubeClients(kubeFrom);
logger.info('kubernetes client', {
  source: kubeFrom.kind,
  ...(kubeFrom.kind === 'kubeconfig' ? { kubeconfig: kubeFrom.path } : {}),
  ...(kube ? {} : { note: 'no kubeconfig and not in a pod: static node list, reconcilers off' }),
});

const ctx = {
  targets,
  inflight: new InFlight(),
  nodes: kube ? kubeNodes(kube.core) : staticNodes(config.nodes),
  logger,
  metrics: svc.metrics,
  maxVolumeBytes: config.csi.maxVolumeBytes,
};

// A standby is ready too: the sidecars' own election decides which replica serves CSI calls.
let elector: LeaderElector | undefined;
const readiness = async (): Promise<Readiness> => {
  const rds = await probe().catch(() => false);
  const lead = elector?.readiness();
  return { ok: rds && (lead?.ok ?? true), detail: `rds ${where}${lead ? `; reconcilers ${lead.detail}` : ''}` };
};
await svc.startOps({ readiness });
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
      impl: identityHandlers({ driverName: config.driverName, version: config.version, services: ['CONTROLLER_SERVICE'], onlineExpansion: true, probe }),
    },
    { definition: csi.Controller.service, impl: controllerHandlers(ctx) },
  ],
});
svc.shutdown.add('csi server', () => server.stop(config.shutdownTimeoutSeconds * 800));

if (kube) {
  const { orphans, attachments, leaderElection: le } = config.reconcile;
  const loops: ReconcileLoop[] = [];
  if (orphans.enabled) {
    const o = new OrphanReconciler({ ...orphans, driverName: config.driverName, targets, core: kube.core, logger, metrics: svc.metrics, inflight: ctx.inflight });
    loops.push({ name: 'orphan reconcile', intervalSeconds: orphans.intervalSeconds, run: () => o.run() });
  }
  if (attachments.enabled) {
    const a = new AttachmentReconciler({ ...attachments, driverName: config.driverName, targets, core: kube.core, storage: kube.storage, logger, metrics: svc.metrics, inflight: ctx.inflight });
    loops.push({ name: 'attachment reconcile', intervalSeconds: attachments.intervalSeconds, run: () => a.run() });
  }
  const work = new ReconcileLoops(loops, logger);
  if (loops.length && le.enabled) {
    const e = new LeaderElector({
      coordination: kube.coordination,
      namespace: le.namespace || process.env['POD_NAMESPACE'] || 'default',
      name: reconcileLeaseName(config.driverName),
      identity: leaderIdentity(),
      leaseDurationSeconds: le.leaseDurationSeconds,
      renewDeadlineSeconds: le.renewDeadlineSeconds,
      retryPeriodSeconds: le.retryPeriodSeconds,
      logger,
      metrics: { registry: svc.metrics, name: 'mikrotik_kube_csi_reconcile_leader' },
      onStartedLeading: () => work.start(),
      // Exit (client-go style) so the container restarts as a clean standby.
      onStoppedLeading: () => void svc.shutdown.run('lost reconcile leadership').then(() => process.exit(1)),
    });
    elector = e;
    // Added first, so it runs last: the reconcilers stop before the Lease is handed over.
    svc.shutdown.add('reconcile leader election', () => e.release().then(() => undefined));
  }
  svc.shutdown.add('reconcilers', () => work.stop());
  if (elector) elector.start();
  else work.start();
}
svc.markReady();
logger.info('csi-controller ready', { endpoint: config.csi.endpoint, rds: where, kube: kubeFrom.kind });
