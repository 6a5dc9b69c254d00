// The collaborators the node operations share (one object, so each operation module stays small).
import type { Logger } from '@mikrotik-kube/service-kit';
import type { FsTools, FsType } from './filesystem';
import type { KubeletPaths } from './kubelet-paths';
import type { Mounter } from './mounter';
import type { NodeState } from './node-state';
import type { NvmeAttacher } from './nvme-attach';
import type { NodeMetrics } from './metrics';

export interface NodeDeps {
  state: NodeState;
  attacher: NvmeAttacher;
  fs: FsTools;
  mounter: Mounter;
  paths: KubeletPaths;
  logger: Logger;
  metrics: NodeMetrics;
  defaultFs: FsType;
  nqnPrefix: string;
  /** How long NodeExpandVolume waits for a rescanned namespace to show the new size. */
  resizeWaitMs: number;
}
