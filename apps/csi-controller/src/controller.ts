// The CSI Controller service: capabilities plus the handler groups, with backend errors
// mapped to CSI codes.
import type { csi } from '@mikrotik-kube/proto';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { ControllerContext } from './context';
import { withCsiErrors } from './errors';
import { publishHandlers } from './publish';
import { queryHandlers } from './queries';
import { snapshotHandlers } from './snapshots';
import { volumeHandlers } from './volumes';

type RpcType = csi._csi_v1_ControllerServiceCapability_RPC_Type__Output;

export const CONTROLLER_CAPABILITIES: RpcType[] = [
  'CREATE_DELETE_VOLUME',
  'PUBLISH_UNPUBLISH_VOLUME',
  'LIST_VOLUMES',
  'GET_CAPACITY',
  'CREATE_DELETE_SNAPSHOT',
  'LIST_SNAPSHOTS',
  'CLONE_VOLUME',
  'PUBLISH_READONLY',
  'EXPAND_VOLUME',
  'LIST_VOLUMES_PUBLISHED_NODES',
  'VOLUME_CONDITION',
  'GET_VOLUME',
  'GET_SNAPSHOT',
  'SINGLE_NODE_MULTI_WRITER',
];

const unimplemented = (what: string) => async () => {
  throw grpcError(status.UNIMPLEMENTED, `${what} is not supported by this driver`);
};

export function controllerHandlers(ctx: ControllerContext) {
  return withCsiErrors({
    ControllerGetCapabilities: async (): Promise<csi.ControllerGetCapabilitiesResponse> => ({
      capabilities: CONTROLLER_CAPABILITIES.map((type) => ({ rpc: { type } })),
    }),
    ...volumeHandlers(ctx),
    ...queryHandlers(ctx),
    ...publishHandlers(ctx),
    ...snapshotHandlers(ctx),
    ControllerModifyVolume: unimplemented('ControllerModifyVolume'),
  });
}
