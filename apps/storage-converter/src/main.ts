// storage-converter: images → RouterOS tarballs on the router, and pod volumes.
// Wiring only: config, clients, cache, delivery, gRPC services, the GC timer.
import { readFileSync } from 'node:fs';
import { GrpcServer } from '@mikrotik-kube/grpc-kit';
import { RegistryClient } from '@mikrotik-kube/oci';
import { contracts } from '@mikrotik-kube/proto';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { createService } from '@mikrotik-kube/service-kit';
import { Converter, type Deliverer, FetchDeliverer, FetchServer, GarbageCollector, ImageCache, ImageManager, imagesHandlers, ImageSource, OrphanCleaner, registerStorageMetrics, SftpDeliverer, type StorageConfig, storageSchema, VolumeManager, volumesHandlers } from '@mikrotik-kube/storage-converter';

const svc = createService<StorageConfig>({ name: 'storage-converter', envPrefix: 'STORAGE_CONVERTER_', schema: storageSchema });
const { config, logger } = svc;
const { routeros, registry, storage, delivery } = config;

const router = clientFromConfig(routeros);
svc.shutdown.add('routeros client', () => router.close());

const registryHost = new URL(registry.url).host;
const source = new ImageSource({
  client: new RegistryClient({
    baseUrl: registry.url,
    userAgent: 'mikrotik-kube-storage-converter',
    ...(registry.username ? { credentials: { username: registry.username, password: registry.password ?? '' } } : {}),
  }),
  ownHosts: [registryHost, ...registry.hosts],
  upstreams: registry.upstreams,
  armVariants: config.platform.armVariants,
});

const cache = new ImageCache(storage.cacheDir);
await cache.load();

const metrics = registerStorageMetrics(svc.metrics, cache);
if (!delivery.fetch.publicUrl && ['0.0.0.0', '::'].includes(delivery.fetch.host)) {
  // The router needs an address it can reach; a wildcard listen address is not one.
  process.stderr.write('storage-converter: delivery.fetch.publicUrl is required when delivery.fetch.host is a wildcard address\n');
  process.exit(2);
}
const deliverers: Partial<Record<'fetch' | 'sftp', Deliverer>> = {};
const fetchServer = new FetchServer({ ...delivery.fetch, tokenTtlMs: delivery.fetch.tokenTtlSeconds * 1000 });
const fetchUrl = await fetchServer.start();
svc.shutdown.add('fetch server', () => fetchServer.stop());
deliverers.fetch = new FetchDeliverer(router, fetchServer, delivery.timeoutSeconds * 1000);
const { sftp } = delivery;
if (sftp.host && sftp.user) {
  if (!sftp.hostKey.length && !sftp.insecureSkipHostKey) {
    process.stderr.write('storage-converter: pin the router\'s SSH host key (delivery.sftp.hostKey SHA256:…) or set delivery.sftp.insecureSkipHostKey\n');
    process.exit(2);
  }
  deliverers.sftp = new SftpDeliverer(router, {
    hostKey: sftp.insecureSkipHostKey ? { allowUnknown: true } : { pins: sftp.hostKey },
    host: sftp.host,
    port: sftp.port,
    username: sftp.user,
    password: sftp.password,
    ...(sftp.privateKeyFile ? { privateKey: readFileSync(sftp.privateKeyFile) } : {}),
    readyTimeoutMs: routeros.timeoutMs,
  });
}

const images = new ImageManager({
  source,
  converter: new Converter(source, config.platform.armVariants, cache.workDir),
  cache,
  router,
  deliverers,
  defaultMode: delivery.mode,
  routerDir: storage.routerDir,
  ...(delivery.remote.registryUrl ? { remote: { registryUrl: delivery.remote.registryUrl, username: delivery.remote.username, password: delivery.remote.password } } : {}),
  logger,
  metrics,
});
const gc = new GarbageCollector(
  cache,
  router,
  storage.routerDir,
  { maxBytes: storage.maxCacheMb * 1024 * 1024, maxAgeMs: storage.maxAgeHours * 3_600_000, keepLastN: storage.keepLastN, strayGraceMs: storage.strayGraceMinutes * 60_000 },
  () => images.busyKeys(),
  logger,
);
const volumes = new VolumeManager(router, config.volumes.routerDir, logger);
const orphans = new OrphanCleaner(volumes, config.volumes.orphanGraceSeconds * 1000);

const grpcServer = new GrpcServer({ logger, metrics: svc.metrics, maxMessageBytes: config.grpc.maxMessageBytes, tokenFile: config.grpc.tokenFile });
const defs = contracts.images();
grpcServer.addService(defs.Images.service, imagesHandlers(images, gc, storage.dryRun));
grpcServer.addService(defs.Volumes.service, volumesHandlers(volumes, orphans));
await svc.startOps();
const port = await grpcServer.listen(`${config.grpc.host}:${config.grpc.port}`);
svc.shutdown.add('grpc server', () => grpcServer.shutdown(config.shutdownTimeoutSeconds * 800));

if (storage.gcIntervalMinutes > 0) {
  const timer = setInterval(() => {
    gc.run(storage.dryRun).then(
      (r) => {
        metrics.gcRemoved.inc({ dry_run: String(storage.dryRun) }, r.removed.length);
        logger.info('gc done', { removed: r.removed.length, freedBytes: r.freedBytes, inUse: r.inUse.length, dryRun: storage.dryRun });
      },
      (e: unknown) => logger.warn('gc failed', { error: (e as Error).message }),
    );
  }, storage.gcIntervalMinutes * 60_000);
  timer.unref();
  svc.shutdown.add('gc timer', () => clearInterval(timer));
}

logger.info('listening', { grpcPort: port, fetchUrl, deliveries: Object.keys(deliverers), defaultDelivery: delivery.mode, cachedImages: cache.list().length });
svc.markReady();
