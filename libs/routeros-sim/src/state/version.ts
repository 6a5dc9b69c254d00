// The simulated RouterOS version and what changes with it (docs/routeros.md "What changes with the version").
import semver from 'semver';

export interface VersionProfile {
  /** As given, e.g. `7.21.1`. */
  version: string;
  /** ≤7.19: one `status` string; 7.20+: boolean-string flags `stopped`, `running`, … */
  containerStatusFlags: boolean;
  /** Container argument naming env lists: `envlist` (≤7.19) or `envlists` (7.20+). */
  containerEnvArg: 'envlist' | 'envlists';
  /** Container argument naming mount lists: `mounts` (≤7.20) or `mountlists` (7.21+). */
  containerMountArg: 'mounts' | 'mountlists';
  /** Grouping field of `/container/envs`: `name` (≤7.19) or `list` (7.20+). */
  envsListField: 'name' | 'list';
  /** Grouping field of `/container/mounts`: `name` (≤7.20) or `list` (7.21+). */
  mountsListField: 'name' | 'list';
  /** Mount access field: none (≤7.19), `read-only` (7.20–7.22), `mode` (7.23+). */
  mountAccessField: 'read-only' | 'mode' | undefined;
  /** `/container/config` memory limit: `ram-high` (≤7.19) or `memory-high` (7.20+). */
  configMemoryField: 'ram-high' | 'memory-high';
  /** `/disk` NVMe/TCP: `nvme-tcp-server-nqn` and client `nvme-tcp-nqn` exist from 7.21. */
  nvmeTcpNqn: boolean;
  /** veth gains `dhcp` and `mac-address` in 7.20. */
  vethDhcp: boolean;
  at(min: string): boolean;
}

export function versionProfile(version: string): VersionProfile {
  const v = semver.coerce(version);
  if (!v || v.major !== 7 || v.minor < 19) {
    throw new Error(`unsupported RouterOS version ${version} (the simulator models 7.19 and later)`);
  }
  const at = (min: string) => semver.gte(v, semver.coerce(min) ?? '0.0.0');
  return {
    version: v.patch === 0 && !/^\d+\.\d+\.\d+/.test(version) ? `${v.major}.${v.minor}` : v.version,
    containerStatusFlags: at('7.20'),
    containerEnvArg: at('7.20') ? 'envlists' : 'envlist',
    containerMountArg: at('7.21') ? 'mountlists' : 'mounts',
    envsListField: at('7.20') ? 'list' : 'name',
    mountsListField: at('7.21') ? 'list' : 'name',
    mountAccessField: at('7.23') ? 'mode' : at('7.20') ? 'read-only' : undefined,
    configMemoryField: at('7.20') ? 'memory-high' : 'ram-high',
    nvmeTcpNqn: at('7.21'),
    vethDhcp: at('7.20'),
    at,
  };
}
