// csi-controller configuration (service-kit: YAML < env CSI_CONTROLLER_* < flags).
import { TARGET_NAME } from '@mikrotik-kube/csi-common';
import { type BaseConfig, type JsonSchema, serviceSchema } from '@mikrotik-kube/service-kit';

/** One RDS: where its SSH management face is, how to log in, where nodes reach its exports. */
export interface TargetConfig {
  address?: string;
  port: number;
  user: string;
  keyFile?: string;
  password?: string;
  /** Pinned host key fingerprint(s) "SHA256:…"; or insecureSkipHostKey. */
  hostKey: string[];
  insecureSkipHostKey: boolean;
  /** NVMe/TCP (storage network) address nodes connect to; default: address when it is an IP. */
  nvmeAddress?: string;
  nvmePort: number;
  /** Directories volumes may live in; every StorageClass volumePath must be one of them. */
  volumeBases: string[];
  /** Each new volume in a btrfs subvolume of its own (snapshots: btrfs snapshots); off: plain files, `copy-from` copies. */
  btrfsSubvolumes: boolean;
}

export interface ControllerConfig extends BaseConfig {
  driverName: string;
  version: string;
  kubeconfig?: string;
  csi: { endpoint: string; authorityFix: boolean; maxVolumeBytes: number };
  rds: TargetConfig & {
    /** The target that owns ids without a target name (every id the upstream driver made). */
    defaultTarget: string;
    /** Further RDS targets; the fields above (when `address` is set) are the target named defaultTarget. */
    targets: Array<TargetConfig & { name: string; address: string }>;
    commandTimeoutMs: number;
    maxChannels: number;
    /** SSH connections per RDS, each with maxChannels exec channels. */
    connections: number;
    /** Attempts for transient SSH faults (1 = no retry). */
    retryAttempts: number;
    retryBackoffMs: number;
  };
  /** Nodes ControllerPublish accepts when no kubeconfig is set (empty = any node). */
  nodes: string[];
  reconcile: {
    orphans: { enabled: boolean; dryRun: boolean; intervalSeconds: number; graceSeconds: number; prefix: string; maxDeletesPerRun: number };
    attachments: { enabled: boolean; intervalSeconds: number; graceSeconds: number };
    /** Only the holder of the Lease runs the reconcilers; the other replicas stand by. */
    leaderElection: { enabled: boolean; namespace: string; leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number };
  };
}

const obj = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties,
  required,
});

const targetProperties: Record<string, JsonSchema> = {
  address: { type: 'string', minLength: 1 },
  port: { type: 'integer', minimum: 1, maximum: 65535, default: 22 },
  user: { type: 'string', minLength: 1, default: 'admin' },
  keyFile: { type: 'string', minLength: 1 },
  password: { type: 'string' },
  hostKey: { type: 'array', items: { type: 'string', pattern: '^SHA256:' }, default: [] },
  insecureSkipHostKey: { type: 'boolean', default: false },
  nvmeAddress: { type: 'string', minLength: 1 },
  nvmePort: { type: 'integer', minimum: 1, maximum: 65535, default: 4420 },
  volumeBases: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^/' }, default: ['/storage-pool/metal-csi'] },
  btrfsSubvolumes: { type: 'boolean', default: false },
};

export const controllerSchema = serviceSchema(
  {
    driverName: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$', default: 'rds.csi.srvlab.io' },
    version: { type: 'string', minLength: 1, default: '0.1.0' },
    kubeconfig: { type: 'string', minLength: 1 },
    csi: obj({
      endpoint: { type: 'string', pattern: '^unix:///', default: 'unix:///var/lib/kubelet/plugins/rds.csi.srvlab.io/controller.sock' },
      authorityFix: { type: 'boolean', default: true },
      maxVolumeBytes: { type: 'integer', minimum: 1073741824, default: 16 * 2 ** 40 },
    }),
    rds: obj({
        ...targetProperties,
        defaultTarget: { type: 'string', pattern: TARGET_NAME.source, default: 'default' },
        targets: { type: 'array', default: [], items: obj({ name: { type: 'string', pattern: TARGET_NAME.source }, ...targetProperties }, ['name', 'address']) },
        commandTimeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, default: 30_000 },
        maxChannels: { type: 'integer', minimum: 1, maximum: 8, default: 4 },
        connections: { type: 'integer', minimum: 1, maximum: 4, default: 2 },
        retryAttempts: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
        retryBackoffMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 500 },
    }),
    nodes: { type: 'array', items: { type: 'string', minLength: 1 }, default: [] },
    reconcile: obj({
      orphans: obj({
        enabled: { type: 'boolean', default: false },
        dryRun: { type: 'boolean', default: true },
        intervalSeconds: { type: 'number', minimum: 1, default: 3600 },
        graceSeconds: { type: 'number', minimum: 0, default: 300 },
        prefix: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]*$', default: 'pvc-' },
        maxDeletesPerRun: { type: 'integer', minimum: 0, default: 5 },
      }),
      attachments: obj({
        enabled: { type: 'boolean', default: true },
        intervalSeconds: { type: 'number', minimum: 1, default: 300 },
        graceSeconds: { type: 'number', minimum: 0, default: 30 },
      }),
      leaderElection: obj({
        enabled: { type: 'boolean', default: true },
        // '' = $POD_NAMESPACE, else 'default'.
        namespace: { type: 'string', pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 63, default: '' },
        leaseDurationSeconds: { type: 'integer', minimum: 1, maximum: 600, default: 15 },
        renewDeadlineSeconds: { type: 'number', minimum: 0.5, maximum: 600, default: 10 },
        retryPeriodSeconds: { type: 'number', minimum: 0.1, maximum: 60, default: 2 },
      }),
    }),
  },
  ['rds'],
);
