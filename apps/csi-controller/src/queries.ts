// Read-only controller RPCs: ValidateVolumeCapabilities, ListVolumes (paged), GetCapacity,
// ControllerGetVolume (with volume condition).
import { capabilityProblem, isVolumeId, parseVolumeParams, requireCapabilities, requireField } from '@mikrotik-kube/csi-common';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { csi } from '@mikrotik-kube/proto';
import type { Volume } from '@mikrotik-kube/rds-ssh';
import type { ControllerContext } from './context';
import { decodeToken, encodeToken, isOurVolume, volumeStatus } from './volume-view';

type Call<T> = { request: T };

export function queryHandlers(ctx: ControllerContext) {
  const { targets } = ctx;

  async function ourVolume(id: string): Promise<Volume> {
    const { target: t, slot } = targets.resolve(id);
    const v = isVolumeId(slot) ? await t.rds.getVolume(slot) : undefined;
    if (!v || !isOurVolume(v, t.volumeBases)) throw grpcError(status.NOT_FOUND, `volume ${id} does not exist`);
    return v;
  }

  async function ValidateVolumeCapabilities({ request: req }: Call<csi.ValidateVolumeCapabilitiesRequest__Output>): Promise<csi.ValidateVolumeCapabilitiesResponse> {
    const id = requireField(req.volume_id, 'volume_id');
    const caps = requireCapabilities(req.volume_capabilities);
    await ourVolume(id);
    const problem = caps.map(capabilityProblem).find(Boolean);
    if (problem) return { message: problem };
    try {
      targets.forParams(parseVolumeParams(req.parameters));
    } catch (e) {
      return { message: (e as Error).message };
    }
    return { confirmed: { volume_context: req.volume_context, volume_capabilities: caps, parameters: req.parameters, mutable_parameters: {} } };
  }

  async function ListVolumes({ request: req }: Call<csi.ListVolumesRequest__Output>): Promise<csi.ListVolumesResponse> {
    if (req.max_entries < 0) throw grpcError(status.INVALID_ARGUMENT, 'max_entries must not be negative');
    let after = '';
    if (req.starting_token) {
      const t = decodeToken('v', req.starting_token);
      if (t === undefined) throw grpcError(status.ABORTED, `starting_token ${JSON.stringify(req.starting_token)} is not one this driver issued`);
      after = t;
    }
    const all: Array<{ id: string; v: Volume }> = [];
    for (const t of targets.list) {
      for (const v of await t.rds.listVolumes('')) if (isOurVolume(v, t.volumeBases)) all.push({ id: targets.idOf(t, v.slot), v });
    }
    all.sort((a, b) => (a.id < b.id ? -1 : 1));
    // Keyed by the last id returned, so deletions between pages do not skip entries.
    const rest = all.filter((e) => e.id > after);
    const page = req.max_entries ? rest.slice(0, req.max_entries) : rest;
    const last = page[page.length - 1];
    return {
      entries: page.map(({ id, v }) => ({ volume: { volume_id: id, capacity_bytes: v.sizeBytes ?? 0 }, status: volumeStatus(v) })),
      next_token: last && page.length < rest.length ? encodeToken('v', last.id) : '',
    };
  }

  async function GetCapacity({ request: req }: Call<csi.GetCapacityRequest__Output>): Promise<csi.GetCapacityResponse> {
    if (req.volume_capabilities.some((c) => capabilityProblem(c))) return { available_capacity: 0 };
    const p = parseVolumeParams(req.parameters);
    const cap = await targets.forParams(p).rds.capacity(p.volumePath);
    return { available_capacity: cap.freeBytes, maximum_volume_size: { value: Math.min(cap.freeBytes, ctx.maxVolumeBytes) }, minimum_volume_size: { value: 2 ** 30 } };
  }

  async function ControllerGetVolume({ request: req }: Call<csi.ControllerGetVolumeRequest__Output>): Promise<csi.ControllerGetVolumeResponse> {
    const id = requireField(req.volume_id, 'volume_id');
    const v = await ourVolume(id);
    return { volume: { volume_id: id, capacity_bytes: v.sizeBytes ?? 0 }, status: volumeStatus(v) };
  }

  return { ValidateVolumeCapabilities, ListVolumes, GetCapacity, ControllerGetVolume };
}
