// storage-converter configuration: the router, our registry, the cache and its GC, the
// delivery modes and the volume root. Shapes are checked here; names used on the router
// are restricted so they never need quoting.
import { type RouterOsConnectionConfig, routerOsConnectionSchema } from '@mikrotik-kube/routeros-rest';
import { type BaseConfig, serviceSchema } from '@mikrotik-kube/service-kit';
import type { DeliveryMode } from './delivery';

export interface StorageConfig extends BaseConfig {
  routeros: RouterOsConnectionConfig;
  registry: {
    url: string;
    username?: string;
    password?: string;
    /** Hosts in image references that mean our registry itself. */
    hosts: string[];
    /** Upstream host → repository prefix of our pull-through cache. */
    upstreams: Record<string, string>;
  };
  platform: { armVariants: string[] };
  storage: {
    cacheDir: string;
    routerDir: string;
    gcIntervalMinutes: number;
    maxCacheMb: number;
    maxAgeHours: number;
    keepLastN: number;
    strayGraceMinutes: number;
    dryRun: boolean;
  };
  delivery: {
    mode: DeliveryMode;
    timeoutSeconds: number;
    /**
     * signingKeyFile: the key (≥ 32 bytes) every replica signs fetch URLs with, so any of them
     * serves any; unset = a random key of this process (one replica). peerUrl: where the other
     * replicas reach this one directly, to relay a download of a tarball only this one holds.
     */
    fetch: { host: string; port: number; publicUrl?: string; peerUrl?: string; signingKeyFile?: string; tokenTtlSeconds: number };
    /** hostKey: pinned `SHA256:…` fingerprints of the router's SSH key (or insecureSkipHostKey, labs only). */
    sftp: { host?: string; port: number; user?: string; password?: string; privateKeyFile?: string; hostKey: string[]; insecureSkipHostKey: boolean };
    remote: { registryUrl?: string; username?: string; password?: string };
  };
  volumes: { routerDir: string; orphanGraceSeconds: number };
}

// RouterOS paths we build on: plain segments, no quoting needed, no traversal.
const routerPath = { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$', maxLength: 200 };

export const storageSchema = serviceSchema(
  {
    routeros: routerOsConnectionSchema(),
    registry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        url: { type: 'string', pattern: '^https?://' },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        hosts: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
        upstreams: {
          type: 'object',
          additionalProperties: { type: 'string', pattern: '^[a-z0-9]+([._-][a-z0-9]+)*$' },
          default: { 'docker.io': 'dockerhub', 'ghcr.io': 'ghcr' },
        },
      },
      required: ['url'],
    },
    platform: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { armVariants: { type: 'array', minItems: 1, items: { type: 'string', enum: ['v7', 'v6', 'v5'] }, default: ['v7', 'v6', 'v5'] } },
    },
    storage: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        cacheDir: { type: 'string', minLength: 1, default: '/var/cache/storage-converter' },
        routerDir: { ...routerPath, default: 'disk1/mk-images' },
        gcIntervalMinutes: { type: 'number', minimum: 0, default: 30 },
        maxCacheMb: { type: 'number', minimum: 0, default: 4096 },
        maxAgeHours: { type: 'number', minimum: 0, default: 168 },
        keepLastN: { type: 'integer', minimum: 0, default: 5 },
        strayGraceMinutes: { type: 'number', minimum: 0, default: 60 },
        dryRun: { type: 'boolean', default: false },
      },
    },
    delivery: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        mode: { type: 'string', enum: ['fetch', 'sftp', 'remote'], default: 'fetch' },
        timeoutSeconds: { type: 'number', minimum: 1, maximum: 3600, default: 600 },
        fetch: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            host: { type: 'string', default: '0.0.0.0' },
            port: { type: 'integer', minimum: 0, maximum: 65535, default: 8090 },
            publicUrl: { type: 'string', pattern: '^https?://' },
            peerUrl: { type: 'string', pattern: '^https?://' },
            signingKeyFile: { type: 'string', minLength: 1 },
            tokenTtlSeconds: { type: 'number', minimum: 1, default: 600 },
          },
        },
        sftp: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            host: { type: 'string', minLength: 1 },
            port: { type: 'integer', minimum: 1, maximum: 65535, default: 22 },
            user: { type: 'string', minLength: 1 },
            password: { type: 'string' },
            privateKeyFile: { type: 'string', minLength: 1 },
            hostKey: { type: 'array', items: { type: 'string', pattern: '^SHA256:' }, default: [] },
            insecureSkipHostKey: { type: 'boolean', default: false },
          },
        },
        remote: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            registryUrl: { type: 'string', pattern: '^https?://' },
            username: { type: 'string', minLength: 1 },
            password: { type: 'string' },
          },
        },
      },
    },
    volumes: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        routerDir: { ...routerPath, default: 'disk1/mk-volumes' },
        orphanGraceSeconds: { type: 'number', minimum: 0, default: 300 },
      },
    },
  },
  ['routeros', 'registry'],
);
