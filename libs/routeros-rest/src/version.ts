// Argument names that changed between RouterOS 7.19, 7.20, 7.21 and 7.23
// (docs/routeros.md "What changes with the version"), derived once from `/system/resource` `version`.

export interface RouterVersion {
  /** `7.21.1`, parsed from e.g. `7.21.1 (stable)`. */
  raw: string;
  major: number;
  minor: number;
  patch: number;
  /** Container state as flags (7.20+) instead of a `status` string. */
  statusFlags: boolean;
  containerEnvArg: 'envlist' | 'envlists';
  containerMountArg: 'mounts' | 'mountlists';
  envsListField: 'name' | 'list';
  mountsListField: 'name' | 'list';
  mountAccess: 'none' | 'read-only' | 'mode';
  configMemoryField: 'ram-high' | 'memory-high';
  nvmeTcpNqn: boolean;
  /** Container `hosts` (extra /etc/hosts lines) and `stop-time` (the stop grace period), 7.21+. */
  containerHostsAndStopTime: boolean;
  /** Container `env="K=V,…"` inline, besides env lists (7.21+). */
  containerInlineEnv: boolean;
}

export function parseRouterVersion(version: string): RouterVersion {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(version.trim());
  if (!m) throw new Error(`unrecognised RouterOS version: ${version}`);
  const major = Number(m[1]);
  const minor = Number(m[2]);
  const patch = Number(m[3] ?? 0);
  if (major !== 7) throw new Error(`unsupported RouterOS major version ${major} (need 7.x)`);
  const at = (min: number) => minor >= min;
  return {
    raw: `${major}.${minor}${m[3] ? `.${patch}` : ''}`,
    major,
    minor,
    patch,
    statusFlags: at(20),
    containerEnvArg: at(20) ? 'envlists' : 'envlist',
    containerMountArg: at(21) ? 'mountlists' : 'mounts',
    envsListField: at(20) ? 'list' : 'name',
    mountsListField: at(21) ? 'list' : 'name',
    mountAccess: at(23) ? 'mode' : at(20) ? 'read-only' : 'none',
    configMemoryField: at(20) ? 'memory-high' : 'ram-high',
    nvmeTcpNqn: at(21),
    containerHostsAndStopTime: at(21),
    containerInlineEnv: at(21),
  };
}
