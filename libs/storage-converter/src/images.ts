// EnsureImage: resolve → (cache hit | pull + convert) → deliver to the router, or in remote
// mode point the router at our registry. Concurrent requests for the same (manifest,
// architecture) share one flight — whatever delivery each asked for, since they want the same
// file in the same place — and all see its progress.
import type { Logger } from '@mikrotik-kube/service-kit';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Converter, ProgressFn } from './converter';
import type { Deliverer, DeliveryMode } from './delivery';
import { invalid, precondition, unavailable } from './errors';
import { cacheKey, type CacheEntry, type ImageCache } from './image-cache';
import type { ImageSource, ResolvedImage } from './image-source';
import type { StorageMetrics } from './metrics';
import { parseRouterArch, type RouterArch } from './platform';
import { ensureRouterDir, findRouterFile } from './router-files';

export interface EnsuredImage {
  image: string;
  manifestDigest: string;
  configDigest: string;
  architecture: RouterArch;
  routerFile: string;
  remoteImage: string;
  sizeBytes: number;
  cached: boolean;
}

export interface RemoteRegistry {
  /** registry-url the router uses to reach our registry. */
  registryUrl: string;
  username?: string;
  password?: string;
}

export interface ImageManagerOptions {
  source: ImageSource;
  converter: Converter;
  cache: ImageCache;
  router: RouterOsClient;
  deliverers: Partial<Record<'fetch' | 'sftp', Deliverer>>;
  defaultMode: DeliveryMode;
  /** Router directory for tarballs, e.g. `disk1/mk-images`. */
  routerDir: string;
  remote?: RemoteRegistry;
  logger: Logger;
  metrics?: StorageMetrics;
}

interface Flight {
  promise: Promise<EnsuredImage>;
  listeners: Set<ProgressFn>;
}

export class ImageManager {
  private readonly flights = new Map<string, Flight>();

  constructor(private readonly o: ImageManagerOptions) {}

  /** Cache keys with a conversion or delivery under way (GC leaves them alone). */
  busyKeys(): Set<string> {
    return new Set(this.flights.keys());
  }

  async ensure(image: string, architecture: string, mode: DeliveryMode | undefined, progress: ProgressFn = () => undefined): Promise<EnsuredImage> {
    const arch = parseRouterArch(architecture);
    if (!image.trim()) throw invalid('image is required');
    const how = mode ?? this.o.defaultMode;
    progress({ phase: 'resolve', bytesDone: 0, bytesTotal: 0, message: `resolving ${image} for ${arch}` });
    const img = await this.o.source.resolve(image, arch);
    if (how === 'remote') return this.remote(img, arch);
    const deliverer = this.o.deliverers[how];
    if (!deliverer) throw precondition(`delivery ${how} is not configured on this converter`);
    const key = cacheKey(img.manifestDigest, arch);
    let flight = this.flights.get(key);
    if (!flight) {
      const listeners = new Set<ProgressFn>();
      const fanOut: ProgressFn = (p) => {
        for (const l of listeners) l(p);
      };
      flight = { listeners, promise: this.convertAndDeliver(img, arch, deliverer, fanOut).finally(() => this.flights.delete(key)) };
      this.flights.set(key, flight);
    }
    flight.listeners.add(progress);
    try {
      return await flight.promise;
    } finally {
      flight.listeners.delete(progress);
    }
  }

  list(): EnsuredImage[] {
    return this.o.cache.list().map((e) => toEnsured(e, true));
  }

  private async convertAndDeliver(img: ResolvedImage, arch: RouterArch, deliverer: Deliverer, progress: ProgressFn): Promise<EnsuredImage> {
    const cache = this.o.cache;
    let entry = cache.get(img.manifestDigest, arch);
    let cached = true;
    if (!entry) {
      cached = false;
      const file = cache.fileName(img.manifestDigest, arch);
      const started = Date.now();
      const end = this.o.metrics?.conversions.startTimer();
      const r = await this.o.converter.convert(img, arch, cache.path({ file }), progress).then(
        (v) => (end?.({ outcome: 'ok' }), v),
        (e: unknown) => {
          end?.({ outcome: 'error' });
          throw e;
        },
      );
      entry = { image: img.image, manifestDigest: img.manifestDigest, configDigest: r.configDigest, arch, file, size: r.size, routerFile: '', createdAt: Date.now(), lastUsedAt: Date.now() };
      await cache.put(entry);
      this.o.logger.info('image converted', { image: img.image, manifestDigest: img.manifestDigest, arch, bytes: r.size, ms: Date.now() - started });
    }
    const routerFile = `${this.o.routerDir}/${entry.file}`;
    let onRouter;
    try {
      onRouter = await findRouterFile(this.o.router, routerFile);
    } catch (e) {
      throw unavailable(`router unavailable: ${(e as Error).message}`);
    }
    if (!onRouter || onRouter.size !== entry.size) {
      cached = false;
      try {
        await ensureRouterDir(this.o.router, this.o.routerDir);
      } catch (e) {
        throw unavailable(`cannot create ${this.o.routerDir} on the router: ${(e as Error).message}`);
      }
      try {
        await deliverer.deliver(cache.path(entry), entry.size, routerFile, progress);
        this.o.metrics?.deliveries.inc({ mode: deliverer.mode, outcome: 'ok' });
      } catch (e) {
        this.o.metrics?.deliveries.inc({ mode: deliverer.mode, outcome: 'error' });
        throw e;
      }
      this.o.logger.info('image delivered', { image: img.image, routerFile, mode: deliverer.mode, bytes: entry.size });
    }
    await cache.update(img.manifestDigest, arch, { routerFile, lastUsedAt: Date.now(), image: img.image });
    return toEnsured({ ...entry, routerFile, image: img.image }, cached);
  }

  private async remote(img: ResolvedImage, arch: RouterArch): Promise<EnsuredImage> {
    const r = this.o.remote;
    if (!r) throw invalid('remote delivery needs delivery.remote.registryUrl in the configuration');
    try {
      const current = await this.o.router.containers.config.get();
      if (current.registryUrl !== r.registryUrl || (r.username !== undefined && current.username !== r.username)) {
        await this.o.router.containers.config.set({ registryUrl: r.registryUrl, username: r.username, password: r.password });
        this.o.logger.info('router registry-url set', { registryUrl: r.registryUrl });
      }
    } catch (e) {
      throw unavailable(`cannot configure the router's registry: ${(e as Error).message}`);
    }
    // A tag is what every RouterOS version understands; digest-only references stay pinned.
    const remoteImage = img.ref.tag ? `${img.repository}:${img.ref.tag}` : `${img.repository}@${img.manifestDigest}`;
    return { image: img.image, manifestDigest: img.manifestDigest, configDigest: img.manifest.config.digest, architecture: arch, routerFile: '', remoteImage, sizeBytes: 0, cached: false };
  }
}

function toEnsured(e: CacheEntry, cached: boolean): EnsuredImage {
  return { image: e.image, manifestDigest: e.manifestDigest, configDigest: e.configDigest, architecture: e.arch, routerFile: e.routerFile, remoteImage: '', sizeBytes: e.size, cached };
}
