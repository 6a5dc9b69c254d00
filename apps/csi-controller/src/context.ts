// What the controller's handlers share.
import type { Logger } from '@mikrotik-kube/service-kit';
import type { Registry } from 'prom-client';
import type { InFlight } from './inflight';
import type { NodeRegistry } from './nodes';
import type { Targets } from './targets';

export interface ControllerContext {
  /** The RDS targets; every handler reaches the one a class or an id names. */
  targets: Targets;
  inflight: InFlight;
  nodes: NodeRegistry;
  logger: Logger;
  metrics: Registry;
  maxVolumeBytes: number;
}
