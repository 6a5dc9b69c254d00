// uninstall: the chart's pre-delete hook (libs/installer/src/chart.ts). Wiring only: its own
// config, then vk-provider's and storage-converter's config files as they run (same schemas, same
// env, so the router, its credentials and the directories are the ones they use); stop the
// router writers, clean the router, delete the node. Exits 0 even when something is left (printed
// as a warning): a router that cannot be reached must not keep `helm uninstall` from finishing.
import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type UninstallConfig, uninstallChartRelease, uninstallSchema } from '@mikrotik-kube/installer/chart';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { configOrExit, createService, loadConfig } from '@mikrotik-kube/service-kit';
import { type StorageConfig, storageSchema } from '@mikrotik-kube/storage-converter';
import { type VkConfig, vkSchema } from '@mikrotik-kube/vk-provider';

const svc = createService<UninstallConfig>({ name: 'uninstall', envPrefix: 'UNINSTALL_', schema: uninstallSchema });
const { config, logger } = svc;
const started = Date.now();
const [vk, storage] = configOrExit(svc.name, () => [
  loadConfig<VkConfig>({ schema: vkSchema, envPrefix: 'VK_PROVIDER_', argv: ['--config', config.vkProviderConfig] }).config,
  config.storageConverterConfig ? loadConfig<StorageConfig>({ schema: storageSchema, envPrefix: 'STORAGE_CONVERTER_', argv: ['--config', config.storageConverterConfig] }).config : undefined,
] as const);

const kube = new KubeConfig();
if (config.kubeconfig) kube.loadFromFile(config.kubeconfig);
else kube.loadFromDefault();
const router = clientFromConfig(vk.routeros);
const leftovers = await uninstallChartRelease({
  router,
  // Without storage-converter nothing was delivered or provisioned: its default paths hold nothing of ours.
  dirs: { containers: vk.containers.rootDir, images: storage?.storage.routerDir ?? '', volumes: storage?.volumes.routerDir ?? '' },
  apps: kube.makeApiClient(AppsV1Api),
  core: kube.makeApiClient(CoreV1Api),
  namespace: config.namespace,
  stopDeployments: config.stopDeployments,
  nodeName: vk.standalone ? '' : vk.cluster.nodeName,
  deadline: started + config.timeoutSeconds * 1000,
  stopTimeoutMs: vk.reconcile.stopTimeoutSeconds * 1000,
  logger,
});
router.close();
if (leftovers.length) logger.warn('left on the router: remove these by hand', { router: vk.routeros.url, leftovers });
else logger.info('nothing of the release is left on the router', { router: vk.routeros.url, seconds: Math.round((Date.now() - started) / 1000) });
process.exit(0);
