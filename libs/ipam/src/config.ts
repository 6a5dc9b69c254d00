// ipam configuration: the router connection, the address pools and the
// reconcile grace period. The schema checks shapes; network.ts checks the
// address arithmetic (CIDR, gateway, ranges) and names the offending field.
import { type RouterOsConnectionConfig, routerOsConnectionSchema } from '@mikrotik-kube/routeros-rest';
import { type BaseConfig, serviceSchema } from '@mikrotik-kube/service-kit';

export interface NetworkConfig {
  name: string;
  bridge: string;
  cidr: string;
  gateway: string;
  dns: string[];
  rangeStart?: string;
  rangeEnd?: string;
  exclude: string[];
  default: boolean;
}

export interface IpamConfig extends BaseConfig {
  routeros: RouterOsConnectionConfig;
  networks: NetworkConfig[];
  /**
   * graceSeconds: how long an owner must be missing from Reconcile's live list before release.
   * repairIntervalSeconds: how often each replica re-reads the router and completes or removes
   * what interrupted claims left (another replica killed mid-claim); 0 = only on Reconcile.
   */
  reconcile: { graceSeconds: number; repairIntervalSeconds: number };
  /** This replica's identity (the chart passes the pod name): replicas start their address search at different points. */
  replicaIdentity: string;
}

const ipv4 = { type: 'string', minLength: 7, maxLength: 15 };

export const ipamSchema = serviceSchema(
  {
    routeros: routerOsConnectionSchema(),
    networks: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          // Network names end up in veth comments and gRPC requests: keep them DNS-label-like.
          name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$' },
          bridge: { type: 'string', pattern: '^[^\\s/"\\\\]{1,64}$' },
          cidr: { type: 'string', minLength: 9, maxLength: 18 },
          gateway: ipv4,
          dns: { type: 'array', items: ipv4, default: [] },
          rangeStart: ipv4,
          rangeEnd: ipv4,
          exclude: { type: 'array', items: { type: 'string', minLength: 7, maxLength: 18 }, default: [] },
          default: { type: 'boolean', default: false },
        },
        required: ['name', 'bridge', 'cidr', 'gateway'],
      },
    },
    reconcile: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        graceSeconds: { type: 'number', minimum: 0, default: 60 },
        repairIntervalSeconds: { type: 'number', minimum: 0, default: 30 },
      },
    },
    replicaIdentity: { type: 'string', maxLength: 253, default: '' },
  },
  ['routeros', 'networks'],
);
