// The registry service's modules; apps/registry wires them into its process (and the all-in-one entry can host them too).
export { foldRepeatedFlag, parseListen, registrySchema, resolveUpstreams } from './config';
export type { RegistryConfig, UpstreamConfig } from './config';
export { HtpasswdAuth } from './http/auth';
export type { HandlerDeps } from './http/deps';
export { createRegistryServer } from './http/server';
export { createRegistryMetrics } from './metrics';
export { BlobFetcher } from './proxy/blob-fetcher';
export { ProxyBlobStore } from './proxy/proxy-blob-store';
export { ProxyManifestStore } from './proxy/proxy-manifest-store';
export { UpstreamResolver } from './proxy/upstreams';
export { openFsStorage, removeLeftovers } from './storage/fs-storage';
export { collectGarbageOnce, registryPart } from './part';
export type { RegistryPart } from './part';
