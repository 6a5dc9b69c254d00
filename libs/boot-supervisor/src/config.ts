// Configuration of the boot supervisor (YAML < env BOOT_SUPERVISOR_* < flags).
import type { BaseConfig } from '@mikrotik-kube/service-kit';
import { serviceSchema } from '@mikrotik-kube/service-kit';
import { type RouterOsConnectionConfig, routerOsConnectionSchema } from '@mikrotik-kube/routeros-rest';

export interface SupervisorConfig extends BaseConfig {
  routeros: RouterOsConnectionConfig;
  systemd: {
    pollIntervalMs: number;
    maxParallelStarts: number;
    startGraceMs: number;
    maxRestarts: number;
    restartWindowSeconds: number;
    backoff: { initialMs: number; maxMs: number; resetAfterMs: number };
  };
  /** Where restart counts and registered units survive a restart; '' keeps them in memory only. */
  stateFile: string;
  /** A kubeconfig enables Lease leader election (as does running in a cluster). */
  kubeconfig: string;
  leader: { namespace: string; leaseName: string; identity: string; leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number };
}

const int = (min: number, def: number, max?: number) => ({ type: 'integer', minimum: min, default: def, ...(max === undefined ? {} : { maximum: max }) });

export const configSchema = serviceSchema(
  {
    routeros: routerOsConnectionSchema(),
    systemd: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        pollIntervalMs: int(50, 2000),
        maxParallelStarts: int(1, 4),
        startGraceMs: int(0, 2000),
        maxRestarts: int(1, 5),
        restartWindowSeconds: int(1, 3600),
        backoff: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: { initialMs: int(1, 10_000), maxMs: int(1, 300_000), resetAfterMs: int(1, 600_000) },
        },
      },
    },
    stateFile: { type: 'string', default: '' },
    kubeconfig: { type: 'string', default: '' },
    leader: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        namespace: { type: 'string', default: 'default' },
        leaseName: { type: 'string', default: 'mikrotik-kube-boot-supervisor' },
        identity: { type: 'string', default: '' },
        leaseDurationSeconds: int(2, 15),
        renewDeadlineSeconds: int(1, 10),
        retryPeriodSeconds: int(1, 2),
      },
    },
  },
  ['routeros'],
);
