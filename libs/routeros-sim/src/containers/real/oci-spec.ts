// The OCI runtime config (runc's config.json) for one container start: its process, root,
// hostname, bind mounts, network namespace and memory limits. Docker's default capability
// set and mounts; no `oomScoreAdj` (this host's root lacks CAP_SYS_RESOURCE, and the
// router sets none either).

export interface BindMount {
  /** Absolute host path. */
  source: string;
  /** Path inside the container. */
  destination: string;
  readOnly: boolean;
  noExec: boolean;
}

export interface LaunchSpec {
  rootPath: string;
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  hostname: string;
  mounts: BindMount[];
  /** Bind-mounted network namespace (`/run/netns/…`); a fresh empty one when undefined. */
  netnsPath?: string;
  /** Hard limit (memory.limit_in_bytes on cgroup v1), bytes. */
  memoryLimit?: number;
  /** Soft limit (memory.soft_limit_in_bytes), bytes: what `memory-high` throttles at. */
  memoryReservation?: number;
  cgroupsPath: string;
}

const CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

export function ociConfig(s: LaunchSpec): unknown {
  const memory: Record<string, number> = {};
  if (s.memoryLimit !== undefined) memory['limit'] = s.memoryLimit;
  if (s.memoryReservation !== undefined) memory['reservation'] = s.memoryReservation;
  return {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: s.uid, gid: s.gid },
      args: s.args,
      env: s.env,
      cwd: s.cwd,
      capabilities: { bounding: CAPS, effective: CAPS, permitted: CAPS },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: false,
    },
    root: { path: s.rootPath, readonly: false },
    hostname: s.hostname,
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620'] },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      ...s.mounts.map((m) => ({
        destination: m.destination,
        type: 'bind',
        source: m.source,
        options: ['rbind', m.readOnly ? 'ro' : 'rw', ...(m.noExec ? ['noexec'] : []), 'nosuid', 'nodev'],
      })),
    ],
    linux: {
      cgroupsPath: s.cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }], ...(Object.keys(memory).length ? { memory } : {}) },
      namespaces: [
        { type: 'pid' },
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        { type: 'network', ...(s.netnsPath ? { path: s.netnsPath } : {}) },
      ],
      maskedPaths: ['/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}
