// The CSI Node service: request checks at the edge (ids, paths under the kubelet directory,
// capabilities, volume_context), one operation per volume at a time, then the operation modules.
import { nqnFor, ParamError, parseVolumeContext, requireField } from '@mikrotik-kube/csi-common';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { csi } from '@mikrotik-kube/proto';
import { normalize } from 'node:path';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import { parseCapability } from './capability';
import type { NodeDeps } from './deps';
import { expand } from './expand';
import type { NvmeTarget } from './nvme-cli';
import { publish, unpublish } from './publishing';
import { stage, unstage } from './staging';
import { volumeStats } from './stats';
import type { VolumeLocks } from './volume-locks';

export interface NodeInfo {
  nodeId: string;
  maxVolumesPerNode: number;
  topology: Record<string, string>;
}

type Call<Req> = ServerUnaryCall<Req, unknown>;

function targetFrom(ctx: Record<string, string>): NvmeTarget {
  try {
    const c = parseVolumeContext(ctx);
    return {
      nqn: c.nqn,
      address: c.nvmeAddress,
      port: Number(c.nvmePort),
      ctrlLossTmo: Number(c.ctrlLossTmo),
      reconnectDelay: Number(c.reconnectDelay),
      keepAliveTmo: Number(c.keepAliveTmo),
    };
  } catch (e) {
    if (e instanceof ParamError) throw grpcError(status.INVALID_ARGUMENT, e.message);
    throw e;
  }
}

const NQN_RE = /^nqn\.[0-9]{4}-[0-9]{2}\.[a-z0-9.-]+:[A-Za-z0-9._:-]+$/;

export function nodeHandlers(d: NodeDeps, locks: VolumeLocks, info: NodeInfo) {
  const staged = (volumeId: string) => {
    const v = d.state.get(volumeId);
    if (!v) throw grpcError(status.NOT_FOUND, `volume ${volumeId} is not staged on this node`);
    return v;
  };
  /** The volume's staging path or one of its publish targets; anything else is not this volume. */
  const volumePathOf = (volumeId: string, path: string) => {
    const v = staged(volumeId);
    // Only the volume's own staging path or publish targets match; any other path (outside the
    // kubelet dir included) is a place where this volume is not.
    const p = normalize(path).replace(/(.)\/+$/, '$1');
    if (p !== v.stagingPath && !(p in v.publishes)) throw grpcError(status.NOT_FOUND, `volume ${volumeId} is not mounted at ${path}`);
    return { v, p };
  };

  return {
    NodeGetInfo: async (): Promise<csi.NodeGetInfoResponse> => ({
      node_id: info.nodeId,
      max_volumes_per_node: info.maxVolumesPerNode,
      ...(Object.keys(info.topology).length ? { accessible_topology: { segments: info.topology } } : {}),
    }),

    NodeGetCapabilities: async (): Promise<csi.NodeGetCapabilitiesResponse> => ({
      capabilities: (['STAGE_UNSTAGE_VOLUME', 'EXPAND_VOLUME', 'GET_VOLUME_STATS', 'VOLUME_CONDITION'] as const).map((type) => ({ rpc: { type } })),
    }),

    NodeStageVolume: async (call: Call<csi.NodeStageVolumeRequest__Output>): Promise<csi.NodeStageVolumeResponse> => {
      const r = call.request;
      const volumeId = requireField(r.volume_id, 'volume_id');
      const stagingPath = d.paths.check('staging_target_path', r.staging_target_path);
      const want = parseCapability(r.volume_capability, d.defaultFs);
      const target = targetFrom(r.volume_context);
      if (!NQN_RE.test(target.nqn) || target.nqn.length > 223) throw grpcError(status.INVALID_ARGUMENT, `volume_context.nqn ${JSON.stringify(target.nqn)} is not a valid NQN`);
      await locks.with(volumeId, 'stage', () => stage(d, { volumeId, stagingPath, target, want }));
      return {};
    },

    NodeUnstageVolume: async (call: Call<csi.NodeUnstageVolumeRequest__Output>): Promise<csi.NodeUnstageVolumeResponse> => {
      const r = call.request;
      const volumeId = requireField(r.volume_id, 'volume_id');
      const stagingPath = d.paths.check('staging_target_path', r.staging_target_path);
      await locks.with(volumeId, 'unstage', () => unstage(d, volumeId, stagingPath, nqnFor(volumeId, d.nqnPrefix)));
      return {};
    },

    NodePublishVolume: async (call: Call<csi.NodePublishVolumeRequest__Output>): Promise<csi.NodePublishVolumeResponse> => {
      const r = call.request;
      const volumeId = requireField(r.volume_id, 'volume_id');
      const targetPath = d.paths.check('target_path', r.target_path);
      const want = parseCapability(r.volume_capability, d.defaultFs);
      // STAGE_UNSTAGE is advertised, so a publish without a staging path cannot be served (spec).
      if (!r.staging_target_path) throw grpcError(status.FAILED_PRECONDITION, 'staging_target_path is required (the plugin stages volumes)');
      const stagingPath = d.paths.check('staging_target_path', r.staging_target_path);
      await locks.with(volumeId, 'publish', () => publish(d, { volumeId, stagingPath, targetPath, want, readonly: r.readonly }));
      return {};
    },

    NodeUnpublishVolume: async (call: Call<csi.NodeUnpublishVolumeRequest__Output>): Promise<csi.NodeUnpublishVolumeResponse> => {
      const r = call.request;
      const volumeId = requireField(r.volume_id, 'volume_id');
      const targetPath = d.paths.check('target_path', r.target_path);
      await locks.with(volumeId, 'unpublish', () => unpublish(d, volumeId, targetPath));
      return {};
    },

    NodeGetVolumeStats: async (call: Call<csi.NodeGetVolumeStatsRequest__Output>): Promise<csi.NodeGetVolumeStatsResponse> => {
      const r = call.request;
      const volumeId = requireField(r.volume_id, 'volume_id');
      if (!r.volume_path) throw grpcError(status.INVALID_ARGUMENT, 'volume_path is required');
      const { v, p } = volumePathOf(volumeId, r.volume_path);
      if (!(await d.mounter.at(p))) throw grpcError(status.NOT_FOUND, `volume ${volumeId} is not mounted at ${p}`);
      return volumeStats(d, v, p);
    },

    NodeExpandVolume: async (call: Call<csi.NodeExpandVolumeRequest__Output>): Promise<csi.NodeExpandVolumeResponse> => {
      const r = call.request;
      const volumeId = requireField(r.volume_id, 'volume_id');
      if (!r.volume_path) throw grpcError(status.INVALID_ARGUMENT, 'volume_path is required');
      const { v } = volumePathOf(volumeId, r.volume_path);
      if (r.volume_capability) {
        const want = parseCapability(r.volume_capability, d.defaultFs);
        if (want.accessType !== v.accessType) throw grpcError(status.INVALID_ARGUMENT, `volume ${volumeId} is a ${v.accessType} volume`);
      }
      const required = Number(r.capacity_range?.required_bytes ?? 0);
      const limit = Number(r.capacity_range?.limit_bytes ?? 0);
      if (required < 0 || limit < 0 || (limit > 0 && required > limit)) throw grpcError(status.INVALID_ARGUMENT, 'capacity_range is invalid');
      const capacity_bytes = await locks.with(volumeId, 'expand', () => expand(d, v, required));
      return { capacity_bytes };
    },
  };
}
