// What the controller's handlers share.
import type { Logger } from '@mikrotik-kube/service-kit';
import type { InFlight } from './inflight';
import type { NodeRegistry } from './nodes';
import type { RdsBackend } from './rds-backend';

export interface ControllerContext {
  rds: RdsBackend;
  inflight: InFlight;
  nodes: NodeRegistry;
  logger: Logger;
  /** SSH address of the RDS (default rdsAddress in volume contexts). */
  rdsAddress: string;
  volumeBases: string[];
  maxVolumeBytes: number;
}
