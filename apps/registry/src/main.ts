// The OCI registry service: wires config, storage, the optional pull-through cache
// and auth, serves the distribution API on `listen` and the ops endpoints on
// http.port. `--gc [--dry-run]` runs one garbage collection and exits.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { ConfigError, createService } from '@mikrotik-kube/service-kit';
import { BlobFetcher, createRegistryMetrics, createRegistryServer, foldRepeatedFlag, type HandlerDeps, HtpasswdAuth, openFsStorage, parseListen, ProxyBlobStore, ProxyManifestStore, type RegistryConfig, registrySchema, removeLeftovers, resolveUpstreams, type UpstreamConfig, UpstreamResolver } from '@mikrotik-kube/registry';

const svc = createService<RegistryConfig>({
  name: 'registry',
  envPrefix: 'REGISTRY_',
  schema: registrySchema,
  argv: foldRepeatedFlag(process.argv.slice(2), '--upstream'),
  extraFlags: { gc: 'boolean', 'dry-run': 'boolean' },
});
const { config, logger } = svc;

let upstreamConfigs: UpstreamConfig[];
try {
  upstreamConfigs = resolveUpstreams(config);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`registry: ${err.message}\n`);
  process.exit(2);
}

const storage = await openFsStorage(
  config.storageDir,
  { maxManifestBytes: config.maxManifestBytes, maxBlobBytes: config.maxBlobBytes },
  logger,
);
const gcOptions = { graceMs: config.gc.graceSeconds * 1000, deleteUntagged: config.gc.deleteUntagged };

if (svc.extras.gc) {
  const result = await storage.gc.run({ ...gcOptions, dryRun: svc.extras['dry-run'] === true });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

// A minute untouched: far longer than a write-then-rename, and an upstream fetch writes continuously.
const leftoverGraceMs = 60_000;
await removeLeftovers(storage.paths, logger, leftoverGraceMs);
const metrics = createRegistryMetrics(svc.metrics);
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
svc.shutdown.add('registry server', async () => {
  // Stop accepting and let requests in flight (uploads included) finish.
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const purgeTimer = setInterval(
  () => {
    storage.uploads
      .purgeStale(config.uploadTtlSeconds * 1000)
      .then((n) => n && logger.info('expired stale upload sessions', { count: n }))
      .then(() => removeLeftovers(storage.paths, logger, leftoverGraceMs))
      .catch((err: Error) => logger.error('upload purge failed', { error: err.message }));
  },
  Math.min(config.uploadTtlSeconds * 1000, 3600_000),
);
purgeTimer.unref();
svc.shutdown.add('upload purge timer', () => clearInterval(purgeTimer));
if (config.gc.intervalSeconds > 0) {
  const gcTimer = setInterval(() => {
    storage.gc.run(gcOptions).catch((err: Error) => logger.error('garbage collection failed', { error: err.message }));
  }, config.gc.intervalSeconds * 1000);
  gcTimer.unref();
  svc.shutdown.add('gc timer', () => clearInterval(gcTimer));
}

await svc.startOps();
const addr = server.address() as AddressInfo;
const url = `${config.tls.certFile ? 'https' : 'http'}://${addr.address}:${addr.port}`;
logger.info('registry listening', { url, storageDir: config.storageDir, upstreams: upstreamConfigs.map((u) => u.name) });
svc.markReady();
