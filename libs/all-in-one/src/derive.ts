// Each hosted service's config, derived from the one all-in-one config and checked by that
// service's own schema (which fills in its defaults). A mistake is reported under the
// all-in-one key the user wrote (network.podCIDR, not ipam's networks.0.cidr).
import { isAbsolute, join, resolve } from 'node:path';
import { configSchema as supervisorSchema, type SupervisorConfig } from '@mikrotik-kube/boot-supervisor';
import { type IpamConfig, ipamSchema } from '@mikrotik-kube/ipam';
import { parseListen, type RegistryConfig, registrySchema } from '@mikrotik-kube/registry';
import { ConfigError, type JsonSchema, validateConfig } from '@mikrotik-kube/service-kit';
import { type StorageConfig, storageSchema } from '@mikrotik-kube/storage-converter';
import { type VkConfig, vkSchema } from '@mikrotik-kube/vk-provider';
import type { AllInOneConfig } from './config';

export interface ServiceConfigs {
  ipam: IpamConfig;
  storage: StorageConfig;
  supervisor: SupervisorConfig;
  vk: VkConfig;
  /** Absent when registry.enabled is false. */
  registry?: RegistryConfig;
  /** The private unix socket the hosted gRPC services listen on. */
  socketPath: string;
}

/** Service field → all-in-one field, for messages (prefix match). */
const RENAMES: Array<[string, string]> = [
  ['networks.0.cidr', 'network.podCIDR'],
  ['networks.0.gateway', 'network.gateway'],
  ['networks.0.dns', 'network.dns'],
  ['networks.0.exclude', 'network.exclude'],
  ['networks.0.bridge', 'network.bridgeName'],
  ['routeros.url', 'routeros.restUrl'],
  ['upstreams', 'registry.upstreams'],
  ['storageDir', 'registry.storageDir'],
  ['listen', 'registry.listen'],
];

/** The same error, naming all-in-one fields (the derived configs come from the one config, `source`). */
export function inAllInOneTerms(err: ConfigError, source: string): ConfigError {
  return new ConfigError(
    err.issues.map((i) => {
      const hit = RENAMES.find(([from]) => i.field === from || i.field.startsWith(`${from}.`));
      return { ...i, field: hit ? hit[1] + i.field.slice(hit[0].length) : i.field, source };
    }),
  );
}

function checked<T>(schema: JsonSchema, data: Record<string, unknown>, source: string): T {
  try {
    return validateConfig<T>(schema, data);
  } catch (err) {
    throw err instanceof ConfigError ? inAllInOneTerms(err, source) : err;
  }
}

/** 172.20.0.0/16 → 172.20.0.1 (the schema has checked the shape). */
function firstHost(cidr: string): string {
  const octets = (cidr.split('/')[0] as string).split('.').map(Number);
  const n = (((octets[0] as number) << 24) | ((octets[1] as number) << 16) | ((octets[2] as number) << 8) | (octets[3] as number)) + 1;
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** `configDir`: relative paths in the config are relative to its file. */
export function deriveConfigs(c: AllInOneConfig, configDir: string, source = 'config'): ServiceConfigs {
  const dataDir = isAbsolute(c.dataDir) ? c.dataDir : resolve(configDir, c.dataDir);
  const socketPath = join(dataDir, 'run', 'grpc.sock');
  const socket = `unix://${socketPath}`;
  const { restUrl, ...conn } = c.routeros;
  const routeros = { ...conn, url: restUrl };
  // Each service's base section; the ops port and gRPC listener are the host process's.
  const base = () => ({ log: { ...c.log }, shutdownTimeoutSeconds: c.shutdownTimeoutSeconds, grpc: { maxMessageBytes: c.grpc.maxMessageBytes } });

  const ipam = checked<IpamConfig>(
    ipamSchema,
    {
      ...base(),
      routeros: { ...routeros },
      networks: [{ name: 'pods', bridge: c.network.bridgeName, cidr: c.network.podCIDR, gateway: c.network.gateway || firstHost(c.network.podCIDR), dns: [...c.network.dns], exclude: [...c.network.exclude], default: true }],
    },
    source,
  );

  let registry: RegistryConfig | undefined;
  let registryUrl = c.registry.url;
  if (c.registry.enabled) {
    registry = checked<RegistryConfig>(
      registrySchema,
      { ...base(), listen: c.registry.listen, storageDir: c.registry.storageDir || join(dataDir, 'registry'), upstreams: structuredClone(c.registry.upstreams), auth: { ...c.registry.auth }, gc: { ...c.registry.gc } },
      source,
    );
    // storage-converter pulls from it over loopback whatever address it listens on.
    const { host, port } = parseListen(c.registry.listen);
    registryUrl = `http://${['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;
  } else if (!registryUrl) {
    throw new ConfigError([{ field: 'registry.url', source, message: 'is required when registry.enabled is false (the registry images are pulled from)' }]);
  }

  const storage = checked<StorageConfig>(
    storageSchema,
    {
      ...base(),
      routeros: { ...routeros },
      registry: { url: registryUrl, hosts: [...c.registry.hosts], ...(c.registry.username ? { username: c.registry.username, password: c.registry.password ?? '' } : {}) },
      platform: structuredClone(c.platform),
      storage: { ...c.storage, cacheDir: c.storage.cacheDir || join(dataDir, 'images') },
      delivery: structuredClone(c.delivery),
      volumes: { ...c.volumes },
    },
    source,
  );

  const supervisor = checked<SupervisorConfig>(
    supervisorSchema,
    { ...base(), routeros: { ...routeros }, systemd: structuredClone(c.systemd), stateFile: join(dataDir, 'boot-supervisor.json') },
    source,
  );

  const vk = checked<VkConfig>(
    vkSchema,
    {
      ...base(),
      standalone: true,
      bootPolicy: c.bootPolicy,
      podsFile: resolve(configDir, c.podsFile),
      routeros: { ...routeros },
      services: { ipam: socket, storage: socket, supervisor: socket },
      containers: { ...c.containers },
      reconcile: { ...c.reconcile },
    },
    source,
  );

  return { ipam, storage, supervisor, vk, ...(registry ? { registry } : {}), socketPath };
}
