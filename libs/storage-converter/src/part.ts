// storage-converter's wiring, hosted by apps/storage-converter (its own process) or by the
// all-in-one process: clients, cache, delivery, the Images and Volumes gRPC services, GC timer.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { GrpcServer } from '@mikrotik-kube/grpc-kit';
import { RegistryClient } from '@mikrotik-kube/oci';
import { contracts } from '@mikrotik-kube/proto';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import { ConfigError, every, type Host, type Running } from '@mikrotik-kube/service-kit';
import type { StorageConfig } from './config';
import { Converter } from './converter';
import type { Deliverer } from './delivery';
import { FetchDeliverer, FetchServer } from './delivery-fetch';
import { SftpDeliverer } from './delivery-sftp';
import { FetchSigner, MIN_KEY_BYTES } from './fetch-token';
import { GarbageCollector } from './gc';
import { ImageCache } from './image-cache';
import { ImageSource } from './image-source';
import { ImageManager } from './images';
import { registerStorageMetrics } from './metrics';
import { OrphanCleaner } from './orphans';
import { imagesHandlers, volumesHandlers } from './service';
import { VolumeManager } from './volumes';

export interface StoragePart {
  start(host: Host, grpc: GrpcServer): Promise<Running>;
}

/** Checks what the schema cannot (ConfigError naming the field); start() wires the service. */
export function storagePart(config: StorageConfig): StoragePart {
  const { routeros, registry, storage, delivery } = config;
  const { sftp } = delivery;
  if (!delivery.fetch.publicUrl && ['0.0.0.0', '::'].includes(delivery.fetch.host)) {
    // The router needs an address it can reach; a wildcard listen address is not one.
    throw new ConfigError([{ field: 'delivery.fetch.publicUrl', source: 'missing', message: 'is required when delivery.fetch.host is a wildcard address (the router fetches images from it)' }]);
  }
  if (sftp.host && sftp.user && !sftp.hostKey.length && !sftp.insecureSkipHostKey) {
    throw new ConfigError([{ field: 'delivery.sftp.hostKey', source: 'missing', message: "pin the router's SSH host key (SHA256:…) or set delivery.sftp.insecureSkipHostKey" }]);
  }
  return {
    async start({ logger, metrics: registry_, shutdown }, grpc) {
      const router = clientFromConfig(routeros);
      shutdown.add('routeros client', () => router.close());

      const source = new ImageSource({
        client: new RegistryClient({
          baseUrl: registry.url,
          userAgent: 'mikrotik-kube-storage-converter',
          ...(registry.username ? { credentials: { username: registry.username, password: registry.password ?? '' } } : {}),
        }),
        ownHosts: [new URL(registry.url).host, ...registry.hosts],
        upstreams: registry.upstreams,
        armVariants: config.platform.armVariants,
      });

      const cache = new ImageCache(storage.cacheDir);
      await cache.load();
      const metrics = registerStorageMetrics(registry_, cache);

      const deliverers: Partial<Record<'fetch' | 'sftp', Deliverer>> = {};
      const { signingKeyFile, ...fetchOptions } = delivery.fetch;
      const fetchServer = new FetchServer({
        ...fetchOptions,
        tokenTtlMs: delivery.fetch.tokenTtlSeconds * 1000,
        signer: new FetchSigner(signingKeyFile ? readFileSync(signingKeyFile) : randomBytes(MIN_KEY_BYTES)),
        local: (file) => {
          const e = cache.list().find((x) => x.file === file);
          return e && { path: cache.path(e), size: e.size };
        },
      });
      const fetchUrl = await fetchServer.start();
      shutdown.add('fetch server', () => fetchServer.stop());
      deliverers.fetch = new FetchDeliverer(router, fetchServer, delivery.timeoutSeconds * 1000);
      if (sftp.host && sftp.user) {
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

      const defs = contracts.images();
      grpc.addService(defs.Images.service, imagesHandlers(images, gc, storage.dryRun));
      grpc.addService(defs.Volumes.service, volumesHandlers(volumes, orphans));

      if (storage.gcIntervalMinutes > 0) {
        const loop = every(
          'gc',
          storage.gcIntervalMinutes * 60_000,
          async () => {
            const r = await gc.run(storage.dryRun);
            metrics.gcRemoved.inc({ dry_run: String(storage.dryRun) }, r.removed.length);
            logger.info('gc done', { removed: r.removed.length, freedBytes: r.freedBytes, inUse: r.inUse.length, dryRun: storage.dryRun });
          },
          logger,
          { delayFirst: true },
        );
        shutdown.add('gc', () => loop.stop());
      }

      logger.info('storage-converter started', { fetchUrl, deliveries: Object.keys(deliverers), defaultDelivery: delivery.mode, cachedImages: cache.list().length });
      return { ready: Promise.resolve() };
    },
  };
}
