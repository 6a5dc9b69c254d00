// The all-in-one process's one config file, with the Go mikrotik-kube's keys
// (deploy/config.yaml: routeros.restUrl, network.podCIDR, network.bridgeName,
// storage.gcIntervalMinutes, systemd.maxRestarts, registry.enabled, …). Its sections are the
// services' own schemas, composed (not copied): `systemd` is boot-supervisor's, `storage`,
// `delivery` and `volumes` are storage-converter's, `containers` and `reconcile` vk-provider's.
// derive.ts turns it into each service's config. YAML (--config) < env (MK_…) < flags.
import { configSchema as supervisorSchema, type SupervisorConfig } from '@mikrotik-kube/boot-supervisor';
import { registrySchema, type RegistryConfig } from '@mikrotik-kube/registry';
import { routerOsConnectionSchema, type RouterOsConnectionConfig } from '@mikrotik-kube/routeros-rest';
import { grpcSchema, type JsonSchema, type OpsConfig, serviceSchema } from '@mikrotik-kube/service-kit';
import { type StorageConfig, storageSchema } from '@mikrotik-kube/storage-converter';
import { type BootPolicy, type VkConfig, vkSchema } from '@mikrotik-kube/vk-provider';

export interface AllInOneConfig extends OpsConfig {
  /** The services talk over a private unix socket: only the message size limit is left to set. */
  grpc: { maxMessageBytes: number };
  standalone: boolean;
  podsFile: string;
  /** Local state: image cache, registry storage, the supervisor's state file, the internal gRPC socket. */
  dataDir: string;
  /** Who starts the pods' containers when the router boots (vk-provider's BootPolicy). */
  bootPolicy: BootPolicy;
  routeros: Omit<RouterOsConnectionConfig, 'url'> & { restUrl: string };
  network: { podCIDR: string; bridgeName: string; gateway: string; dns: string[]; exclude: string[] };
  containers: VkConfig['containers'];
  reconcile: VkConfig['reconcile'];
  storage: StorageConfig['storage'];
  delivery: StorageConfig['delivery'];
  volumes: StorageConfig['volumes'];
  platform: StorageConfig['platform'];
  systemd: SupervisorConfig['systemd'];
  registry: {
    enabled: boolean;
    /** The embedded registry's address; loopback by default (it has no auth unless auth.htpasswdFile). */
    listen: string;
    storageDir: string;
    upstreams: RegistryConfig['upstreams'];
    auth: RegistryConfig['auth'];
    gc: RegistryConfig['gc'];
    /** With enabled=false: the registry images come from. */
    url: string;
    username?: string;
    password?: string;
    /** Registry names in image references that mean our registry (e.g. registry.local:5000). */
    hosts: string[];
  };
}

const section = (schema: JsonSchema, key: string): JsonSchema => {
  const s = schema.properties?.[key];
  if (!s) throw new Error(`schema has no ${key}`);
  return s;
};
const withProperties = (schema: JsonSchema, properties: Record<string, JsonSchema>): JsonSchema => ({ ...schema, properties: { ...schema.properties, ...properties } });

// RouterOS's connection, under the Go original's name for the URL.
const routerOs = routerOsConnectionSchema(30_000) as JsonSchema;
const { url: _url, ...connection } = routerOs.properties as Record<string, JsonSchema>;
const ipv4 = { type: 'string', minLength: 7, maxLength: 15 };

export const allInOneSchema = serviceSchema(
  {
    grpc: { type: 'object', additionalProperties: false, default: {}, properties: { maxMessageBytes: section(grpcSchema, 'maxMessageBytes') } },
    // Cluster mode is the microservices' job (the Helm chart); this process is standalone only.
    standalone: { type: 'boolean', enum: [true], default: true },
    podsFile: { type: 'string', minLength: 1, default: '/etc/mikrotik-kube/boot-order.yaml' },
    dataDir: { type: 'string', minLength: 1, default: '/var/lib/mikrotik-kube' },
    bootPolicy: section(vkSchema, 'bootPolicy'),
    routeros: { type: 'object', additionalProperties: false, default: {}, required: ['restUrl'], properties: { restUrl: section(routerOs, 'url'), ...connection } },
    network: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        podCIDR: { type: 'string', pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}$', default: '172.20.0.0/16' },
        bridgeName: { type: 'string', pattern: '^[^\\s/"\\\\]{1,64}$', default: 'containers' },
        // '' = the first address of podCIDR (172.20.0.1), the bridge's address in the Go original's Quick Start.
        gateway: { anyOf: [{ const: '' }, ipv4], default: '' },
        dns: { type: 'array', items: ipv4, default: [] },
        exclude: { type: 'array', items: { type: 'string', minLength: 7, maxLength: 18 }, default: [] },
      },
    },
    containers: section(vkSchema, 'containers'),
    reconcile: section(vkSchema, 'reconcile'),
    // '' = <dataDir>/images.
    storage: withProperties(section(storageSchema, 'storage'), { cacheDir: { type: 'string', default: '' } }),
    delivery: section(storageSchema, 'delivery'),
    volumes: section(storageSchema, 'volumes'),
    platform: section(storageSchema, 'platform'),
    systemd: section(supervisorSchema, 'systemd'),
    registry: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        listen: { ...section(registrySchema, 'listen'), default: '127.0.0.1:5000' },
        // '' = <dataDir>/registry.
        storageDir: { type: 'string', default: '' },
        // The pull-through caches storage-converter maps docker.io and ghcr.io to.
        upstreams: {
          ...section(registrySchema, 'upstreams'),
          default: [
            { name: 'dockerhub', url: 'https://registry-1.docker.io' },
            { name: 'ghcr', url: 'https://ghcr.io' },
          ],
        },
        auth: section(registrySchema, 'auth'),
        gc: section(registrySchema, 'gc'),
        url: { type: 'string', pattern: '^$|^https?://', default: '' },
        username: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        hosts: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
      },
    },
  },
  ['routeros'],
);
