// vk-provider: pods → RouterOS containers. Wiring only: config, then either — with
// --standalone — the standalone part (libs/vk-provider/src/standalone/part.ts, also hosted by
// the all-in-one process), or — in cluster mode (Virtual Kubelet) — the router client, the
// service clients, the pod core, the Node, its lease, the pods bound to it and the status page.
import { LeaderElector, leaderIdentity } from '@mikrotik-kube/leader-election';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { createService, servePart } from '@mikrotik-kube/service-kit';
import { grpcPodServices, podCore, RecentEvents, reportPods, RouterResources, startStandalone, statusRoutes, UnitWatch, type VkConfig, vkSchema } from '@mikrotik-kube/vk-provider';
import { type ClusterNode, ClusterPods, EventRecorder, kubeClients, kubeEnvLookups, type Kubelet, kubeletSources, leaderLeaseName, PodInformer, prepareKubelet, resolvePodEnv, resolveVolumeFiles, routerAddress, ServingCsrStatus, startClusterNode } from '@mikrotik-kube/vk-provider/cluster';

// --kubeconfig and --node-name as virtual-kubelet's command line has them.
const flagAliases = { kubeconfig: 'cluster.kubeconfig', 'node-name': 'cluster.node-name' };
const svc = createService<VkConfig>({ name: 'vk-provider', envPrefix: 'VK_PROVIDER_', schema: vkSchema, flagAliases });
const { config, logger, shutdown } = svc;

const r = config.reconcile;

async function clusterMode(): Promise<void> {
  const router = clientFromConfig(config.routeros);
  shutdown.add('routeros client', () => router.close());
  const services = grpcPodServices(config.services, config.services.deadlineMs, config.grpc.tokenFile);
  shutdown.add('service clients', () => services.close());
  const c = config.cluster;
  const kube = kubeClients(c.kubeconfig);
  const hostIP = routerAddress(config.routeros.url);
  const kubeletAddress = config.kubelet.advertiseAddress || hostIP;
  const informer = new PodInformer({ config: kube.config, core: kube.core, nodeName: c.nodeName, logger, onChange: (why, pod) => pods.podChanged(why, pod) });
  const recent = new RecentEvents();
  const events = new EventRecorder({
    core: kube.core,
    nodeName: c.nodeName,
    pod: (key) => informer.get(key.slice(0, key.indexOf('/')), key.slice(key.indexOf('/') + 1)),
    logger,
    mirror: recent,
  });
  const servingCsr = new ServingCsrStatus(events);
  const lookups = kubeEnvLookups(kube.core, hostIP, (pod) => services.ipam.allocate(`${pod.metadata?.namespace || 'default'}/${pod.metadata?.name}`, pod.metadata?.annotations?.['mikrotik.io/network'] ?? ''));
  const reconciler = podCore({ config, router, services, logger, metrics: svc.metrics, units: () => units.units, events });
  const units = new UnitWatch(services.supervisor, logger, { onChange: (s) => pods.unitChanged(s), onConnect: () => pods.supervisorConnected() });
  const pods = new ClusterPods({
    informer,
    reconciler,
    units,
    core: kube.core,
    events,
    resolveEnv: (pod) => resolvePodEnv(pod, lookups),
    resolveFiles: (pod) => resolveVolumeFiles(pod, lookups),
    hostIP,
    logger,
    resyncMs: r.resyncSeconds * 1000,
    metrics: svc.metrics,
  });

  // Every replica gets its serving certificate at once (a standby that takes over has one).
  const kubelet: Kubelet | undefined = config.kubelet.enabled
    ? prepareKubelet({
        config: config.kubelet,
        kubeConfig: kube.config,
        nodeName: c.nodeName,
        address: kubeletAddress,
        ...kubeletSources(router, reconciler),
        pods: () => reportPods(reconciler.records.values(), units.units),
        logger,
        metrics: svc.metrics,
        servingCsr,
      })
    : undefined;
  // The node's work, done by the leader only: Node and lease, pods, kubelet API.
  let node: ClusterNode | undefined;
  const work = {
    start() {
      node = startClusterNode({ kube, router, routerUrl: config.routeros.url, cluster: c, kubelet: config.kubelet.enabled ? { address: kubeletAddress, port: config.kubelet.port } : undefined, servingCsr, logger });
      pods.start();
      informer.start();
      kubelet?.serve();
    },
    async stop() {
      await kubelet?.stop();
      await informer.stop();
      await pods.stop();
      await node?.stop();
    },
  };

  const le = c.leaderElection;
  const elector = le.enabled
    ? new LeaderElector({
        coordination: kube.coordination,
        namespace: le.namespace || process.env['POD_NAMESPACE'] || 'default',
        name: leaderLeaseName(c.nodeName),
        identity: leaderIdentity(),
        leaseDurationSeconds: le.leaseDurationSeconds,
        renewDeadlineSeconds: le.renewDeadlineSeconds,
        retryPeriodSeconds: le.retryPeriodSeconds,
        logger,
        metrics: { registry: svc.metrics, name: 'mikrotik_kube_vk_leader', labels: { node: c.nodeName } },
        onStartedLeading: () => work.start(),
        // Exit so Kubernetes restarts us as a clean standby; the new leader takes over.
        onStoppedLeading: () => void shutdown.run('lost leadership').then(() => process.exit(1)),
      })
    : undefined;
  // Added first, so it runs last: the work stops before the lease is released.
  if (elector) shutdown.add('leader election', () => elector.release().then(() => undefined));
  shutdown.add('node work', () => work.stop());
  if (elector) elector.start();
  else work.start();

  const routes = statusRoutes({
    title: `node ${c.nodeName}`,
    pods: () => reportPods(reconciler.records.values(), units.units),
    statusOnly: true,
    events: recent,
    router: new RouterResources(() => router.system.resource({ timeoutMs: 5000 })),
  });
  await svc.startOps({ readiness: () => (elector && !elector.isLeader ? elector.readiness() : (node?.readiness() ?? { ok: false, detail: 'starting' })), routes });
  logger.info('cluster mode', { node: c.nodeName, server: kube.config.getCurrentCluster()?.server, router: config.routeros.url, leaderElection: le.enabled });
  svc.markReady();
}

await (config.standalone ? servePart(svc, startStandalone(svc, config, svc.configFile)) : clusterMode());
