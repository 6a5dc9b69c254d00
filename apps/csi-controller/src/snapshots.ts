// Snapshots: of a volume alone in its btrfs subvolume, a read-only btrfs snapshot of it
// (subvolumes.ts); of any other, a copy-on-write copy of the backing file (`/disk add
// copy-from=`). Either way a disk over the image, not exported, tagged with its source in the
// disk comment — real RouterOS prints no source for either (docs/routeros.md "ROSE Data Server disks").
import { isSnapshotId, isVolumeId, requireField, snapshotIdForName } from '@mikrotik-kube/csi-common';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { csi } from '@mikrotik-kube/proto';
import type { Volume } from '@mikrotik-kube/rds-ssh';
import type { ControllerContext } from './context';
import { formatSnapshotMeta, parseSnapshotMeta } from './disk-meta';
import { besides, destroyDisk, subvolumeOf } from './subvolumes';
import { decodeToken, encodeToken, isOurSnapshot, isOurVolume } from './volume-view';

type Call<T> = { request: T };

function toSnapshot(id: string, v: Volume): csi.Snapshot {
  const meta = parseSnapshotMeta(v.comment);
  const ms = meta?.createdAt ?? 0;
  return {
    snapshot_id: id,
    source_volume_id: meta?.sourceVolume ?? '',
    size_bytes: meta?.sourceBytes ?? v.sizeBytes ?? 0,
    creation_time: { seconds: Math.floor(ms / 1000), nanos: 0 },
    ready_to_use: true,
  };
}

export function snapshotHandlers(ctx: ControllerContext) {
  const { targets } = ctx;

  /** A snapshot lives on its source volume's RDS, and its id says which. */
  async function CreateSnapshot({ request: req }: Call<csi.CreateSnapshotRequest__Output>): Promise<csi.CreateSnapshotResponse> {
    const name = requireField(req.name, 'name');
    const source = requireField(req.source_volume_id, 'source_volume_id');
    const { target: t, slot: sourceSlot } = targets.resolve(source);
    const { rds } = t;
    const slot = snapshotIdForName(name);
    const id = targets.idOf(t, slot);
    return ctx.inflight.run([id, source], async () => {
      const existing = await rds.getVolume(slot);
      if (existing) {
        if (isOurSnapshot(existing) && parseSnapshotMeta(existing.comment)?.sourceVolume === source) return { snapshot: toSnapshot(id, existing) };
        throw grpcError(status.ALREADY_EXISTS, `snapshot ${name} exists for another source volume`);
      }
      const src = isVolumeId(sourceSlot) ? await rds.getVolume(sourceSlot) : undefined;
      if (!src?.filePath || !isOurVolume(src, t.volumeBases)) throw grpcError(status.NOT_FOUND, `source volume ${source} does not exist`);
      const comment = formatSnapshotMeta({ sourceVolume: source, createdAt: Date.now(), sourceBytes: src.sizeBytes ?? 0 });
      const place = besides({ ...src, filePath: src.filePath }, slot);
      let snap: Volume;
      if (place.subvolume) {
        const of = subvolumeOf(src.filePath, src.slot) as NonNullable<typeof place.subvolume>;
        // A snapshot subvolume left by an attempt that stopped before its disk was added is redone.
        await rds.deleteSubvolume(place.subvolume.name);
        await rds.snapshotSubvolume({ fs: of.fs, parent: of.name, name: place.subvolume.name, readOnly: true });
        snap = await rds.attachVolume({ slot, filePath: place.filePath, comment });
      } else {
        snap = await rds.cloneVolume({ slot, sourceSlot, filePath: place.filePath, comment });
      }
      ctx.logger.info('snapshot created', { snapshot: id, name, source, kind: place.subvolume ? 'btrfs' : 'copy' });
      return { snapshot: toSnapshot(id, snap) };
    });
  }

  async function DeleteSnapshot({ request: req }: Call<csi.DeleteSnapshotRequest__Output>): Promise<csi.DeleteSnapshotResponse> {
    const id = requireField(req.snapshot_id, 'snapshot_id');
    const { target: t, slot } = targets.resolve(id);
    if (!isSnapshotId(slot)) return {};
    return ctx.inflight.run([id], async () => {
      const v = await t.rds.getVolume(slot);
      if (v && isOurSnapshot(v)) {
        await destroyDisk(t, slot, v);
        ctx.logger.info('snapshot deleted', { snapshot: id });
      }
      return {};
    });
  }

  async function ListSnapshots({ request: req }: Call<csi.ListSnapshotsRequest__Output>): Promise<csi.ListSnapshotsResponse> {
    if (req.max_entries < 0) throw grpcError(status.INVALID_ARGUMENT, 'max_entries must not be negative');
    let after = '';
    if (req.starting_token) {
      const t = decodeToken('s', req.starting_token);
      if (t === undefined) throw grpcError(status.ABORTED, `starting_token ${JSON.stringify(req.starting_token)} is not one this driver issued`);
      after = t;
    }
    let snaps: Array<{ id: string; v: Volume }> = [];
    if (req.snapshot_id) {
      const { target: t, slot } = targets.resolve(req.snapshot_id);
      const v = isSnapshotId(slot) ? await t.rds.getVolume(slot) : undefined;
      if (v && isOurSnapshot(v)) snaps.push({ id: req.snapshot_id, v });
    } else {
      for (const t of targets.list) for (const v of await t.rds.listVolumes('snap-')) if (isOurSnapshot(v)) snaps.push({ id: targets.idOf(t, v.slot), v });
    }
    if (req.source_volume_id) snaps = snaps.filter((s) => parseSnapshotMeta(s.v.comment)?.sourceVolume === req.source_volume_id);
    const rest = snaps.sort((a, b) => (a.id < b.id ? -1 : 1)).filter((s) => s.id > after);
    const page = req.max_entries ? rest.slice(0, req.max_entries) : rest;
    const last = page[page.length - 1];
    return {
      entries: page.map((s) => ({ snapshot: toSnapshot(s.id, s.v) })),
      next_token: last && page.length < rest.length ? encodeToken('s', last.id) : '',
    };
  }

  async function GetSnapshot({ request: req }: Call<csi.GetSnapshotRequest__Output>): Promise<csi.GetSnapshotResponse> {
    const id = requireField(req.snapshot_id, 'snapshot_id');
    const { target: t, slot } = targets.resolve(id);
    const v = isSnapshotId(slot) ? await t.rds.getVolume(slot) : undefined;
    if (!v || !isOurSnapshot(v)) throw grpcError(status.NOT_FOUND, `snapshot ${id} does not exist`);
    return { snapshot: toSnapshot(id, v) };
  }

  return { CreateSnapshot, DeleteSnapshot, ListSnapshots, GetSnapshot };
}
