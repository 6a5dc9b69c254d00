// CreateVolume, DeleteVolume, ControllerExpandVolume: file disks with NVMe/TCP export,
// idempotent by name, clones from a snapshot or a volume (a writable btrfs snapshot of a source
// alone in its subvolume, else a copy-on-write `copy-from`; subvolumes.ts).
import { dirname } from 'node:path';
import {
  buildVolumeContext,
  checkCapabilities,
  filePathFor,
  isBlock,
  isVolumeId,
  nqnFor,
  parseVolumeParams,
  requireCapabilities,
  requireField,
  type VolumeParams,
} from '@mikrotik-kube/csi-common';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { csi } from '@mikrotik-kube/proto';
import { isRdsError, type Volume } from '@mikrotik-kube/rds-ssh';
import type { ControllerContext } from './context';
import { formatVolumeMeta, isOurSnapshotComment, parseSnapshotMeta, parseVolumeMeta, type VolumeMeta } from './disk-meta';
import { fits, readRange, sizeFor } from './sizes';
import { destroyDisk, placement, subvolumeOf, type Placement } from './subvolumes';
import type { Target } from './targets';
import { isOurVolume } from './volume-view';

type Call<T> = { request: T };
type Source = NonNullable<VolumeMeta['source']>;

function readSource(s: csi.VolumeContentSource__Output | null): Source | undefined {
  if (!s) return undefined;
  if (s.snapshot) return { kind: 'snapshot', id: requireField(s.snapshot.snapshot_id, 'volume_content_source.snapshot.snapshot_id') };
  if (s.volume) return { kind: 'volume', id: requireField(s.volume.volume_id, 'volume_content_source.volume.volume_id') };
  throw grpcError(status.INVALID_ARGUMENT, 'volume_content_source must name a snapshot or a volume');
}

const toCsiSource = (s: Source | undefined): csi.VolumeContentSource | null =>
  s ? (s.kind === 'snapshot' ? { snapshot: { snapshot_id: s.id } } : { volume: { volume_id: s.id } }) : null;

export function volumeHandlers(ctx: ControllerContext) {
  const { targets } = ctx;

  function checkBase(t: Target, p: VolumeParams): void {
    if (!t.volumeBases.includes(p.volumePath)) {
      throw grpcError(status.INVALID_ARGUMENT, `volumePath ${p.volumePath} is not one of the volume bases of RDS target ${t.name} (${t.volumeBases.join(', ')})`);
    }
  }

  function response(t: Target, v: Volume, p: VolumeParams, source: Source | undefined): csi.CreateVolumeResponse {
    const conn = { nqn: v.nqn ?? nqnFor(v.slot, p.nqnPrefix), rdsAddress: t.address, nvmeAddress: targets.nvmeAddress(t, p), nvmePort: v.nvmePort ?? p.nvmePort ?? t.nvmePort };
    return {
      volume: {
        volume_id: targets.idOf(t, v.slot),
        capacity_bytes: v.sizeBytes ?? 0,
        volume_context: { ...buildVolumeContext(p, conn) },
        content_source: toCsiSource(source),
      },
    };
  }

  /** The disk a content source names (on the new volume's RDS: disks cannot be copied between boxes), or NOT_FOUND. */
  async function sourceDisk(t: Target, src: Source): Promise<Volume> {
    const at = targets.resolve(src.id);
    if (at.target !== t) throw grpcError(status.INVALID_ARGUMENT, `source ${src.kind} ${src.id} is on RDS target ${at.target.name}, the new volume on ${t.name}`);
    const v = await t.rds.getVolume(at.slot).catch((e: unknown) => {
      if (isRdsError(e, 'invalid-input')) return undefined;
      throw e;
    });
    const ok = v && (src.kind === 'snapshot' ? isOurSnapshotComment(v.comment) : isOurVolume(v, t.volumeBases));
    if (!v || !ok) throw grpcError(status.NOT_FOUND, `source ${src.kind} ${src.id} does not exist`);
    return v;
  }

  async function CreateVolume({ request: req }: Call<csi.CreateVolumeRequest__Output>): Promise<csi.CreateVolumeResponse> {
    const name = requireField(req.name, 'name');
    const caps = requireCapabilities(req.volume_capabilities);
    checkCapabilities(caps);
    const block = caps.some(isBlock);
    if (block && !caps.every(isBlock)) throw grpcError(status.INVALID_ARGUMENT, 'volume_capabilities mix block and mount access');
    const p = parseVolumeParams(req.parameters);
    const t = targets.forParams(p);
    checkBase(t, p);
    targets.nvmeAddress(t, p); // refused before any disk is made
    const range = readRange(req.capacity_range);
    let size = sizeFor(range, ctx.maxVolumeBytes);
    const source = readSource(req.volume_content_source);
    const slot = targets.slotForName(t, name);
    const id = targets.idOf(t, slot);
    const { rds } = t;

    /** CreateVolume again for a disk that is there: the same answer if it is the one asked for. */
    const again = (existing: Volume) => {
      const meta = parseVolumeMeta(existing.comment);
      const sameSource = !source || (meta.source?.kind === source.kind && meta.source.id === source.id);
      if (!isOurVolume(existing, t.volumeBases) || !fits(existing.sizeBytes ?? 0, range) || !sameSource) {
        throw grpcError(status.ALREADY_EXISTS, `volume ${id} exists with a different size, source or kind`);
      }
      return response(t, existing, p, source);
    };

    return ctx.inflight.run([id, ...(source ? [source.id] : [])], async () => {
      let src: Volume | undefined;
      if (source) {
        // A clone looks for the volume first: its source checks and copies would be for nothing.
        const existing = await rds.getVolume(slot);
        if (existing) return again(existing);
        src = await sourceDisk(t, source);
        const srcBytes = parseSnapshotMeta(src.comment)?.sourceBytes ?? src.sizeBytes ?? 0;
        if (srcBytes > size) {
          if (range.limit && srcBytes > range.limit) {
            throw grpcError(status.OUT_OF_RANGE, `source ${source.id} holds ${srcBytes} bytes, more than limit_bytes ${range.limit}`);
          }
          size = srcBytes;
        }
      }
      const cap = await rds.capacity(p.volumePath);
      const srcSub = src && subvolumeOf(src.filePath, src.slot);
      // A copy of a source that is a plain file is a plain file too (`copy-from`).
      const place: Placement = src && !srcSub ? { filePath: filePathFor(p.volumePath, slot) } : placement(t, p.volumePath, slot, cap.fs);
      // A new plain file disk needs no look before its add (one round trip fewer per create): the
      // add refuses a slot or file that is there (already-exists, below). A subvolume is looked
      // for first, as making it removes what a subvolume of that name holds.
      const lookFirst = !!source || !!place.subvolume;
      if (!source && place.subvolume) {
        const existing = await rds.getVolume(slot);
        if (existing) return again(existing);
      }
      if (size > cap.freeBytes) {
        // A retried create of a volume that is there succeeds however full the disk is.
        const there = lookFirst ? undefined : await rds.getVolume(slot);
        if (there) return again(there);
        throw grpcError(status.RESOURCE_EXHAUSTED, `${size} bytes requested, ${cap.freeBytes} free on ${p.volumePath}`);
      }
      const common = {
        slot,
        filePath: place.filePath,
        export: { port: p.nvmePort ?? t.nvmePort, nqn: nqnFor(slot, p.nqnPrefix) },
        comment: formatVolumeMeta({ createdAt: Date.now(), block, ...(source ? { source } : {}), published: [] }),
      };
      let v: Volume;
      try {
        if (place.subvolume) {
          // A subvolume left by an attempt that stopped before its disk was added is redone.
          await rds.deleteSubvolume(place.subvolume.name);
          if (src && srcSub) {
            await rds.snapshotSubvolume({ fs: srcSub.fs, parent: srcSub.name, name: place.subvolume.name, readOnly: false });
            v = await rds.attachVolume(common);
            if (size > (v.sizeBytes ?? 0)) v = await rds.resizeVolume(slot, size);
          } else {
            await rds.createSubvolume(place.subvolume.fs, place.subvolume.name);
            v = await rds.createVolume({ ...common, sizeBytes: size });
          }
        } else {
          v = src
            ? await rds.cloneVolume({ ...common, sourceSlot: src.slot, ...(size > (src.sizeBytes ?? 0) ? { sizeBytes: size } : {}) })
            : await rds.createVolume({ ...common, sizeBytes: size });
        }
      } catch (e) {
        // The disk is there: made by a retried add whose first attempt ran (a transport fault
        // after the router acted), or by an earlier CreateVolume when nothing looked first.
        const there = isRdsError(e, 'already-exists') ? await rds.getVolume(slot) : undefined;
        if (!there) throw e;
        if (!lookFirst) return again(there);
        v = there;
      }
      ctx.logger.info('volume created', { volume: id, name, target: t.name, bytes: v.sizeBytes, source: source?.id });
      return response(t, v, p, source);
    });
  }

  async function DeleteVolume({ request: req }: Call<csi.DeleteVolumeRequest__Output>): Promise<csi.DeleteVolumeResponse> {
    const id = requireField(req.volume_id, 'volume_id');
    const { target: t, slot } = targets.resolve(id);
    const { rds } = t;
    if (!isVolumeId(slot)) return {}; // nothing of ours can carry this id
    return ctx.inflight.run([id], async () => {
      const v = await rds.getVolume(slot);
      if (v && !isOurVolume(v, t.volumeBases)) throw grpcError(status.FAILED_PRECONDITION, `disk ${id} is not a CSI volume of this driver`);
      const published = parseVolumeMeta(v?.comment).published;
      if (published.length) {
        throw grpcError(status.FAILED_PRECONDITION, `volume ${id} is still published on ${published.map((n) => n.node).join(', ')}`);
      }
      // Without a disk: removes what an earlier delete that stopped half-way left.
      await destroyDisk(t, slot, v);
      if (v) ctx.logger.info('volume deleted', { volume: id, file: v.filePath });
      return {};
    });
  }

  async function ControllerExpandVolume({ request: req }: Call<csi.ControllerExpandVolumeRequest__Output>): Promise<csi.ControllerExpandVolumeResponse> {
    const id = requireField(req.volume_id, 'volume_id');
    if (!req.capacity_range) throw grpcError(status.INVALID_ARGUMENT, 'capacity_range is required');
    const range = readRange(req.capacity_range);
    const size = sizeFor(range, ctx.maxVolumeBytes);
    const { target: t, slot } = targets.resolve(id);
    const { rds } = t;
    if (!isVolumeId(slot)) throw grpcError(status.NOT_FOUND, `volume ${id} does not exist`);
    return ctx.inflight.run([id], async () => {
      const v = await rds.getVolume(slot);
      if (!v || !isOurVolume(v, t.volumeBases)) throw grpcError(status.NOT_FOUND, `volume ${id} does not exist`);
      const meta = parseVolumeMeta(v.comment);
      const block = req.volume_capability ? isBlock(req.volume_capability) : (meta.block ?? false);
      const current = v.sizeBytes ?? 0;
      if (current >= size) return { capacity_bytes: current, node_expansion_required: !block };
      if (v.filePath) {
        const cap = await rds.capacity(dirname(v.filePath));
        if (size - current > cap.freeBytes) throw grpcError(status.RESOURCE_EXHAUSTED, `growing ${id} needs ${size - current} bytes, ${cap.freeBytes} free`);
      }
      const grown = await rds.resizeVolume(slot, size);
      ctx.logger.info('volume expanded', { volume: id, from: current, to: grown.sizeBytes });
      return { capacity_bytes: grown.sizeBytes ?? size, node_expansion_required: !block };
    });
  }

  return { CreateVolume, DeleteVolume, ControllerExpandVolume };
}
