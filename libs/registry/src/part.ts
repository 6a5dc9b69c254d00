// The registry's wiring, hosted by apps/registry (its own process) or by the all-in-one process:
// storage, the optional pull-through cache and auth, the distribution API on `listen`, and the
// upload purge and GC timers.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { every, type Host, type Running } from '@mikrotik-kube/service-kit';
import { parseListen, type RegistryConfig, resolveUpstreams } from './config';
import { HtpasswdAuth } from './http/auth';
import type { HandlerDeps } from './http/deps';
import { createRegistryServer } from './http/server';
import { createRegistryMetrics } from './metrics';
import { BlobFetcher } from './proxy/blob-fetcher';
import { ProxyBlobStore } from './proxy/proxy-blob-store';
import { ProxyManifestStore } from './proxy/proxy-manifest-store';
import { UpstreamResolver } from './proxy/upstreams';
import { openFsStorage, removeLeftovers } from './storage/fs-storage';

// A minute untouched: far longer than a write-then-rename, and an upstream fetch writes continuously.
const LEFTOVER_GRACE_MS = 60_000;

export interface RegistryPart {
  start(host: Host): Promise<Running & { url: string }>;
}

/** Checks the upstreams now (ConfigError naming the field); start() opens storage and listens. */
export function registryPart(config: RegistryConfig): RegistryPart {
  const upstreamConfigs = resolveUpstreams(config);
  return {
    async start({ logger, metrics: registry, shutdown }) {
      const storage = await openFsStorage(config.storageDir, { maxManifestBytes: config.maxManifestBytes, maxBlobBytes: config.maxBlobBytes }, logger);
      const gcOptions = { graceMs: config.gc.graceSeconds * 1000, deleteUntagged: config.gc.deleteUntagged };
      await removeLeftovers(storage.paths, logger, LEFTOVER_GRACE_MS);
      const metrics = createRegistryMetrics(registry);
      const upstreams = new UpstreamResolver(upstreamConfigs, 'mikrotik-kube-registry');
      const fetcher = new BlobFetcher(storage.paths, storage.blobs, (upstream, err) => {
        metrics.upstreamErrors.inc({ upstream });
        logger.warn('upstream blob fetch failed', { upstream, error: err.message });
      });
      const deps: HandlerDeps = {
        blobs: upstreams.enabled ? new ProxyBlobStore(storage.blobs, upstreams, fetcher, metrics) : storage.blobs,
        manifests: upstreams.enabled ? new ProxyManifestStore(storage.manifests, upstreams, metrics, logger) : storage.manifests,
        uploads: storage.uploads,
        maxManifestBytes: config.maxManifestBytes,
        metrics,
        readOnly: (name) => upstreams.resolve(name) !== undefined,
      };

      const server = createRegistryServer({
        deps,
        logger,
        ...(config.auth.htpasswdFile ? { auth: new HtpasswdAuth(config.auth.htpasswdFile, config.auth.anonymousRead) } : {}),
        ...(config.tls.certFile ? { tls: { certFile: config.tls.certFile, keyFile: config.tls.keyFile } } : {}),
      });
      const { host, port } = parseListen(config.listen);
      server.listen(port, host);
      await once(server, 'listening');
      shutdown.add('registry server', async () => {
        // Stop accepting and let requests in flight (uploads included) finish.
        await new Promise<void>((resolve) => server.close(() => resolve()));
      });

      const purge = every(
        'upload purge',
        Math.min(config.uploadTtlSeconds * 1000, 3600_000),
        async () => {
          const n = await storage.uploads.purgeStale(config.uploadTtlSeconds * 1000);
          if (n) logger.info('expired stale upload sessions', { count: n });
          await removeLeftovers(storage.paths, logger, LEFTOVER_GRACE_MS);
        },
        logger,
        { delayFirst: true },
      );
      shutdown.add('upload purge', () => purge.stop());
      if (config.gc.intervalSeconds > 0) {
        const gc = every('garbage collection', config.gc.intervalSeconds * 1000, () => storage.gc.run(gcOptions), logger, { delayFirst: true });
        shutdown.add('gc', () => gc.stop());
      }

      const addr = server.address() as AddressInfo;
      const url = `${config.tls.certFile ? 'https' : 'http'}://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
      logger.info('registry listening', { url, storageDir: config.storageDir, upstreams: upstreamConfigs.map((u) => u.name) });
      return { ready: Promise.resolve(), url };
    },
  };
}

/** `--gc [--dry-run]`: one garbage collection of the storage, its result as JSON. */
export async function collectGarbageOnce(config: RegistryConfig, logger: Host['logger'], dryRun: boolean): Promise<unknown> {
  const storage = await openFsStorage(config.storageDir, { maxManifestBytes: config.maxManifestBytes, maxBlobBytes: config.maxBlobBytes }, logger);
  return storage.gc.run({ graceMs: config.gc.graceSeconds * 1000, deleteUntagged: config.gc.deleteUntagged, dryRun });
}
