// The all-in-one config: deploy/config.yaml loads, each service's config is derived from the
// Go original's keys and checked by that service's schema, and mistakes name the key the user wrote.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '@mikrotik-kube/service-kit';
import { repoRoot } from '@mikrotik-kube/test-support';
import { vkSchema } from '@mikrotik-kube/vk-provider';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type AllInOneConfig, allInOneSchema, deriveConfigs, prepareAllInOne } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'all-in-one-config-'));
const load = (doc: unknown, env: NodeJS.ProcessEnv = {}) => {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(doc));
  return loadConfig<AllInOneConfig>({ schema: allInOneSchema, envPrefix: 'MK_', argv: ['--config', file], env }).config;
};
const issues = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.field}: ${i.message}`);
    throw e;
  }
  throw new Error('no ConfigError');
};
const routeros = { restUrl: 'http://127.0.0.1:1/rest' };

describe('all-in-one config', () => {
  it('deploy/config.yaml (and deploy/vk-provider.yaml) load, and every service config derives from it', () => {
    const file = join(repoRoot, 'deploy/config.yaml');
    const c = loadConfig<AllInOneConfig>({ schema: allInOneSchema, envPrefix: 'MK_', argv: ['--config', file], env: { MK_ROUTEROS_PASSWORD: 'pw' } }).config;
    const s = deriveConfigs(c, join(repoRoot, 'deploy'));
    expect(s.ipam.networks).toEqual([{ name: 'pods', bridge: 'containers', cidr: '172.20.0.0/16', gateway: '172.20.0.1', dns: [], exclude: [], default: true }]);
    expect(s.ipam.routeros).toMatchObject({ url: 'https://172.20.0.1/rest', user: 'mkube', password: 'pw' });
    expect(s.storage.storage).toMatchObject({ gcIntervalMinutes: 30, cacheDir: '/var/lib/mikrotik-kube/images' });
    expect(s.storage.registry.url).toBe('http://127.0.0.1:5000');
    expect(s.supervisor.systemd.maxRestarts).toBe(5);
    expect(s.supervisor.stateFile).toBe('/var/lib/mikrotik-kube/boot-supervisor.json');
    expect(s.registry?.storageDir).toBe('/var/lib/mikrotik-kube/registry');
    expect(s.registry?.upstreams.map((u) => u.name)).toEqual(['dockerhub', 'ghcr']);
    expect(s.vk.podsFile).toBe(resolve(repoRoot, 'deploy/boot-order.yaml'));
    expect(s.vk.services).toEqual({ ipam: 'unix:///var/lib/mikrotik-kube/run/grpc.sock', storage: 'unix:///var/lib/mikrotik-kube/run/grpc.sock', supervisor: 'unix:///var/lib/mikrotik-kube/run/grpc.sock', deadlineMs: 60_000 });
    loadConfig({ schema: vkSchema, envPrefix: 'VK_PROVIDER_', argv: ['--config', join(repoRoot, 'deploy/vk-provider.yaml')], env: {} });
  });

  it('takes the config keys from the environment too, and resolves relative paths against the config file', () => {
    const c = load({ routeros, dataDir: 'state', podsFile: 'pods.yaml' }, { MK_NETWORK_POD_CIDR: '10.9.0.0/24', MK_SYSTEMD_MAX_RESTARTS: '2', MK_REGISTRY_ENABLED: 'false', MK_REGISTRY_URL: 'http://10.0.0.5:5000' });
    const s = deriveConfigs(c, dir);
    expect(s.ipam.networks[0]).toMatchObject({ cidr: '10.9.0.0/24', gateway: '10.9.0.1' });
    expect(s.supervisor.systemd.maxRestarts).toBe(2);
    expect(s.registry).toBeUndefined();
    expect(s.storage.registry.url).toBe('http://10.0.0.5:5000');
    expect(s.socketPath).toBe(join(dir, 'state/run/grpc.sock'));
    expect(s.vk.podsFile).toBe(join(dir, 'pods.yaml'));
  });

  it('names the all-in-one key of every mistake', () => {
    expect(issues(() => load({}))).toEqual([expect.stringMatching(/^routeros\.restUrl: is required/)]);
    expect(issues(() => load({ routeros, network: { podCIDR: '172.20.0.0' } }))).toEqual([expect.stringMatching(/^network\.podCIDR: must match pattern/)]);
    expect(issues(() => load({ routeros, standalone: false }))).toEqual([expect.stringMatching(/^standalone: must be equal to one of the allowed values/)]);
    expect(issues(() => load({ routeros, grpc: { port: 9090 } }))).toEqual(['grpc.port: unknown key']);
    expect(issues(() => load({ routeros, systemd: { maxRestarts: 0 } }))).toEqual(['systemd.maxRestarts: must be >= 1']);
    expect(issues(() => prepareAllInOne(load({ routeros, network: { podCIDR: '172.20.0.0/16', gateway: '10.0.0.1' }, delivery: { fetch: { host: '127.0.0.1' } } }), dir, 'test'))).toEqual(['network.gateway: 10.0.0.1 is outside 172.20.0.0/16']);
    expect(issues(() => prepareAllInOne(load({ routeros, registry: { upstreams: [{ name: 'hub', url: 'https://u:p@example.com' }] } }), dir, 'test'))).toEqual([
      expect.stringMatching(/^delivery\.fetch\.publicUrl: is required when delivery\.fetch\.host is a wildcard/),
      expect.stringMatching(/^registry\.upstreams\.url: credentials in the url are refused/),
    ]);
    expect(issues(() => deriveConfigs(load({ routeros, registry: { enabled: false } }), dir))).toEqual([expect.stringMatching(/^registry\.url: is required when registry\.enabled is false/)]);
    expect(issues(() => deriveConfigs(load({ routeros: { restUrl: 'ftp://x' } }), dir))).toEqual([expect.stringMatching(/^routeros\.restUrl: must match pattern/)]);
  });
});
