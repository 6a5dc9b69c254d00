// What `mkube install` puts on the router: the original Go mikrotik-kube's Quick Start (a `containers` bridge with
// 172.20.0.1/16, a management veth 172.20.0.2/16, srcnat masquerade) and the mikrotik-kube
// container with its config and data directories on a disk. Everything it creates carries
// INSTALL_TAG in its comment, so uninstall removes exactly that and nothing it reused.

export const INSTALL_TAG = 'mikrotik-kube:install';

export interface InstallOptions {
  /** RouterOS architecture the tarball is for: arm64 or amd64 (CHR, RouterOS `x86`). */
  arch: 'arm64' | 'amd64';
  /** The disk slot for the tarball, root-dir and state; '' = the first disk found. */
  disk: string;
  bridge: string;
  /** The bridge's address (the pods' gateway) with the pod network's prefix. */
  gateway: string;
  veth: string;
  /** The management veth's address (mikrotik-kube's own). */
  vethAddress: string;
  containerName: string;
}

export const DEFAULTS: Omit<InstallOptions, 'arch'> = {
  disk: '',
  bridge: 'containers',
  gateway: '172.20.0.1/16',
  veth: 'veth-mgmt',
  vethAddress: '172.20.0.2/16',
  containerName: 'mikrotik-kube',
};

/** RouterOS's architecture-name for each tarball architecture. */
export const ROUTER_ARCH: Record<InstallOptions['arch'], string> = { arm64: 'arm64', amd64: 'x86' };

/** The oldest RouterOS install supports: /container/log (7.20) is how it sees mikrotik-kube become ready. */
export const MIN_ROUTEROS = '7.20';

/** a.b.c.d/n → its network a.b.c.0/n. */
export function networkOf(cidr: string): string {
  const [ip = '', len = '32'] = cidr.split('/');
  const n = ip.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
  const prefix = Number(len);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const base = (n & mask) >>> 0;
  return `${[base >>> 24, (base >>> 16) & 255, (base >>> 8) & 255, base & 255].join('.')}/${prefix}`;
}

/** Where install keeps its files on `disk`. */
export function paths(o: InstallOptions & { disk: string }) {
  const dir = `${o.disk}/${o.containerName}`;
  return { dir, etc: `${dir}/etc`, data: `${dir}/data`, root: `${dir}/root`, tarball: `${dir}/${o.containerName}-${o.arch}.tar`, mounts: o.containerName, envs: o.containerName };
}
