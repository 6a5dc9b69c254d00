// vk-provider: pods → RouterOS containers. Wiring only: config, the router
// client, then either — with --standalone — the service clients, the pod core,
// the pods file loop and its status API, or — in cluster mode (Virtual Kubelet,
// issue #13) — the Node and its lease in the API server.
import { dirname, resolve } from 'node:path';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { createService } from '@mikrotik-kube/service-kit';
import { grpcPodServices } from './clients/grpc-services';
import { startClusterNode } from './cluster/cluster-node';
import { kubeClients } from './cluster/kube';
import { type VkConfig, vkSchema } from './config';
import { PodLifecycle } from './core/pod-lifecycle';
import { reportPod } from './core/pod-status';
import { Reconciler } from './core/reconciler';
import { UnitWatch } from './core/unit-watch';
import { StandaloneController } from './standalone/controller';
import { PodFileSource } from './standalone/pod-file';
import { statusRoutes } from './standalone/status-routes';

const svc = createService<VkConfig>({ name: 'vk-provider', envPrefix: 'VK_PROVIDER_', schema: vkSchema });
const { config, logger, shutdown } = svc;

const router = clientFromConfig(config.routeros);
shutdown.add('routeros client', () => router.close());

async function clusterMode(): Promise<void> {
  const kube = kubeClients(config.cluster.kubeconfig);
  const node = startClusterNode({ kube, router, routerUrl: config.routeros.url, cluster: config.cluster, logger });
  shutdown.add('cluster node', () => node.stop());
  await svc.startOps({ readiness: () => node.readiness() });
  logger.info('cluster mode', { node: config.cluster.nodeName, server: kube.config.getCurrentCluster()?.server, router: config.routeros.url });
  svc.markReady();
}

async function standaloneMode(): Promise<void> {
  const services = grpcPodServices(config.services, config.services.deadlineMs);
  shutdown.add('service clients', () => services.close());

  const r = config.reconcile;
  const lifecycle = new PodLifecycle({
    router,
    services,
    rootDirBase: config.containers.rootDir,
    architecture: config.containers.architecture,
    logger,
    stopTimeoutMs: r.stopTimeoutSeconds * 1000,
    extractTimeoutMs: r.extractTimeoutSeconds * 1000,
  });
  const reconciler = new Reconciler({ router, services, lifecycle, logger, concurrency: r.concurrency });

  // A relative pods file is relative to the config file, like any path in it.
  const configIndex = process.argv.indexOf('--config');
  const configDir = configIndex > 0 && process.argv[configIndex + 1] ? dirname(resolve(process.argv[configIndex + 1] as string)) : process.cwd();
  const source = new PodFileSource(resolve(configDir, config.podsFile), r.debounceMs, () => controller.trigger('pods file changed'));
  const controller = new StandaloneController({ source, reconciler, logger, resyncMs: r.resyncSeconds * 1000 });

  const units = new UnitWatch(services.supervisor, logger, {
    // The supervisor may have restarted without a state file: register again.
    onConnect: () => {
      reconciler.forgetRegistrations();
      controller.trigger('supervisor connected');
    },
  });

  await svc.startOps({ routes: statusRoutes(() => [...reconciler.records.values()].map((rec) => reportPod(rec, units.units)), () => source.state) });
  shutdown.add('supervisor watch', () => units.stop());
  shutdown.add('reconcile loop', () => controller.stop());
  units.start();
  controller.start();
  logger.info('standalone mode', { podsFile: source.state.path, router: config.routeros.url, services: config.services });
  svc.markReady();
}

await (config.standalone ? standaloneMode() : clusterMode());
