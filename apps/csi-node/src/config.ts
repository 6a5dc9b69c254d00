// csi-node configuration. Host locations (kubelet dir, sysfs, /dev, nvme binary, mountinfo,
// host NQN file) are configurable so tests run on a temp tree without NVMe hardware.
import { DEFAULT_DRIVER_NAME, DEFAULT_NQN_PREFIX } from '@mikrotik-kube/csi-common';
import { type BaseConfig, serviceSchema } from '@mikrotik-kube/service-kit';

export interface NodeConfig extends BaseConfig {
  driverName: string;
  nodeId: string;
  /** unix:///path/csi.sock */
  endpoint: string;
  kubeletDir: string;
  /** Node state file (host path); default <kubeletDir>/plugins/<driver>/node-state.json. */
  stateFile: string;
  sysfsRoot: string;
  devRoot: string;
  mountInfo: string;
  nvme: {
    bin: string;
    hostNqnFile: string;
    nqnPrefix: string;
    managedNqnPrefix: string;
    timeoutMs: number;
    deviceWaitMs: number;
    detachWaitMs: number;
    resizeWaitMs: number;
  };
  defaultFsType: 'ext4' | 'ext3' | 'xfs';
  toolTimeoutMs: number;
  maxVolumesPerNode: number;
  topology: Record<string, string>;
  recoveryIntervalSeconds: number;
}

export const configSchema = serviceSchema(
  {
    driverName: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$', default: DEFAULT_DRIVER_NAME },
    nodeId: { type: 'string', minLength: 1, maxLength: 128 },
    endpoint: { type: 'string', pattern: '^unix:(//)?/', default: `unix:///var/lib/kubelet/plugins/${DEFAULT_DRIVER_NAME}/csi.sock` },
    kubeletDir: { type: 'string', pattern: '^/', default: '/var/lib/kubelet' },
    stateFile: { type: 'string', pattern: '^(/.*)?$', default: '' },
    sysfsRoot: { type: 'string', pattern: '^/', default: '/sys' },
    devRoot: { type: 'string', pattern: '^/', default: '/dev' },
    mountInfo: { type: 'string', pattern: '^/', default: '/proc/self/mountinfo' },
    nvme: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        bin: { type: 'string', minLength: 1, default: 'nvme' },
        hostNqnFile: { type: 'string', pattern: '^/', default: '/etc/nvme/hostnqn' },
        nqnPrefix: { type: 'string', pattern: '^nqn\\.', default: DEFAULT_NQN_PREFIX },
        /** Only subsystems whose NQN starts with this are ever disconnected; default `<nqnPrefix>:`. */
        managedNqnPrefix: { type: 'string', default: '' },
        timeoutMs: { type: 'integer', minimum: 1000, maximum: 300_000, default: 30_000 },
        deviceWaitMs: { type: 'integer', minimum: 100, maximum: 300_000, default: 30_000 },
        detachWaitMs: { type: 'integer', minimum: 100, maximum: 300_000, default: 15_000 },
        /** How long NodeExpandVolume waits for a rescanned namespace to reach the requested size. */
        resizeWaitMs: { type: 'integer', minimum: 0, maximum: 300_000, default: 5_000 },
      },
    },
    defaultFsType: { type: 'string', enum: ['ext4', 'ext3', 'xfs'], default: 'ext4' },
    toolTimeoutMs: { type: 'integer', minimum: 1000, maximum: 3_600_000, default: 120_000 },
    maxVolumesPerNode: { type: 'integer', minimum: 0, maximum: 10_000, default: 0 },
    topology: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 }, default: {} },
    recoveryIntervalSeconds: { type: 'number', minimum: 0, default: 30 },
  },
  ['nodeId'],
);
