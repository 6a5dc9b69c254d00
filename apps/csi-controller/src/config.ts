// csi-controller configuration (service-kit: YAML < env CSI_CONTROLLER_* < flags).
import { type BaseConfig, type JsonSchema, serviceSchema } from '@mikrotik-kube/service-kit';

export interface ControllerConfig extends BaseConfig {
  driverName: string;
  version: string;
  kubeconfig?: string;
  csi: { endpoint: string; authorityFix: boolean; maxVolumeBytes: number };
  rds: {
    address: string;
    port: number;
    user: string;
    keyFile?: string;
    password?: string;
    /** Pinned host key fingerprint(s) "SHA256:…"; or insecureSkipHostKey. */
    hostKey: string[];
    insecureSkipHostKey: boolean;
    /** Directories volumes may live in; every StorageClass volumePath must be one of them. */
    volumeBases: string[];
    commandTimeoutMs: number;
    maxChannels: number;
    /** Attempts for transient SSH faults (1 = no retry). */
    retryAttempts: number;
    retryBackoffMs: number;
  };
  /** Nodes ControllerPublish accepts when no kubeconfig is set (empty = any node). */
  nodes: string[];
  reconcile: {
    orphans: { enabled: boolean; dryRun: boolean; intervalSeconds: number; graceSeconds: number; prefix: string; maxDeletesPerRun: number };
    attachments: { enabled: boolean; intervalSeconds: number; graceSeconds: number };
  };
}

const obj = (properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema => ({
  type: 'object',
  additionalProperties: false,
  default: {},
  properties,
  required,
});

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
    rds: obj(
      {
        address: { type: 'string', minLength: 1 },
        port: { type: 'integer', minimum: 1, maximum: 65535, default: 22 },
        user: { type: 'string', minLength: 1, default: 'admin' },
        keyFile: { type: 'string', minLength: 1 },
        password: { type: 'string' },
        hostKey: { type: 'array', items: { type: 'string', pattern: '^SHA256:' }, default: [] },
        insecureSkipHostKey: { type: 'boolean', default: false },
        volumeBases: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^/' }, default: ['/storage-pool/metal-csi'] },
        commandTimeoutMs: { type: 'integer', minimum: 100, maximum: 600_000, default: 30_000 },
        maxChannels: { type: 'integer', minimum: 1, maximum: 8, default: 4 },
        retryAttempts: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
        retryBackoffMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 500 },
      },
      ['address'],
    ),
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
    }),
  },
  ['rds'],
);
