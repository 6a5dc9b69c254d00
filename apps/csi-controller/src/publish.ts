// ControllerPublish/Unpublish: the access-mode gate. Single-node modes allow one node; a
// MULTI_NODE_MULTI_WRITER block volume allows two (source and target of a KubeVirt live
// migration), never more. The second publish opens a migration window of the volume's
// `migrationTimeoutSeconds`; once it has passed with both nodes still on, the target is not
// attached again (the source, whose VM runs, always is) and the volume's condition turns
// abnormal, until one node is unpublished. The controller never detaches a node itself: that
// would cut a running VM off its disk. The publish state lives in the disk comment on the RDS,
// so a restarted controller enforces the same rules (and the attachment reconciler can repair it).
import { capabilityProblem, isBlock, isMultiNode, isVolumeId, migrationTimeoutSeconds, requireCapability, requireField } from '@mikrotik-kube/csi-common';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { csi } from '@mikrotik-kube/proto';
import { Counter } from 'prom-client';
import type { ControllerContext } from './context';
import { formatVolumeMeta, migrationDeadline, migrationOverdue, nodeKey, parseVolumeMeta } from './disk-meta';
import { isOurVolume } from './volume-view';

type Call<T> = { request: T };

/** Most nodes a multi-writer block volume may be attached to at once (live migration). */
export const MAX_MIGRATION_NODES = 2;

export function publishHandlers(ctx: ControllerContext) {
  const { targets } = ctx;
  const migrations = new Counter({
    name: 'mikrotik_kube_csi_live_migrations_total',
    help: 'Two-node attachments (live migrations) ended by an unpublish, by whether they ended within migrationTimeoutSeconds.',
    labelNames: ['result'],
    registers: [ctx.metrics],
  });

  async function ControllerPublishVolume({ request: req }: Call<csi.ControllerPublishVolumeRequest__Output>): Promise<csi.ControllerPublishVolumeResponse> {
    const id = requireField(req.volume_id, 'volume_id');
    const nodeId = requireField(req.node_id, 'node_id');
    const cap = requireCapability(req.volume_capability);
    const problem = capabilityProblem(cap);
    if (problem) throw grpcError(status.INVALID_ARGUMENT, problem);
    const { target: t, slot } = targets.resolve(id);
    if (!isVolumeId(slot)) throw grpcError(status.NOT_FOUND, `volume ${id} does not exist`);
    return ctx.inflight.run([id], async () => {
      const v = await t.rds.getVolume(slot);
      if (!v || !isOurVolume(v, t.volumeBases)) throw grpcError(status.NOT_FOUND, `volume ${id} does not exist`);
      if (!(await ctx.nodes.exists(nodeId))) throw grpcError(status.NOT_FOUND, `node ${nodeId} does not exist`);
      const meta = parseVolumeMeta(v.comment);
      const key = nodeKey(nodeId);
      const readonly = req.readonly;
      const mine = meta.published.find((p) => p.node === key);
      if (mine && mine.readonly !== readonly) {
        throw grpcError(status.ALREADY_EXISTS, `volume ${id} is already published on ${nodeId} with readonly=${mine.readonly}`);
      }
      const overdue = migrationOverdue(meta, Date.now());
      if (mine && overdue && meta.published[0] !== mine) {
        throw grpcError(status.FAILED_PRECONDITION, `volume ${id}: ${overdue}; not attaching the migration target ${nodeId} again`);
      }
      if (!mine) {
        const others = meta.published.filter((p) => p.node !== key);
        const multi = isMultiNode(cap) && isBlock(cap);
        if (others.length && !multi) {
          throw grpcError(status.FAILED_PRECONDITION, `volume ${id} is published on ${others.map((o) => o.node).join(', ')}; access mode allows one node`);
        }
        if (others.length >= MAX_MIGRATION_NODES) {
          throw grpcError(status.FAILED_PRECONDITION, `volume ${id} is already on ${others.map((o) => o.node).join(' and ')} (live-migration limit ${MAX_MIGRATION_NODES})${overdue ? `; ${overdue}` : ''}`);
        }
        // Read before anything is written: a malformed value is INVALID_ARGUMENT, no change.
        if (others.length) meta.migration = { since: Date.now(), timeoutSeconds: migrationTimeoutSeconds(req.volume_context) };
        meta.published.push({ node: key, readonly });
        await t.rds.setComment(slot, formatVolumeMeta(meta));
        ctx.logger.info('volume published', { volume: id, node: nodeId, readonly, nodes: meta.published.length, ...(meta.migration ? { migrationTimeoutSeconds: meta.migration.timeoutSeconds } : {}) });
      }
      const vc = req.volume_context;
      return {
        publish_context: {
          nvme_nqn: v.nqn ?? vc['nqn'] ?? '',
          nvme_address: vc['nvmeAddress'] ?? t.nvmeAddress ?? '',
          nvme_port: String(v.nvmePort ?? vc['nvmePort'] ?? t.nvmePort),
          fs_type: cap.mount?.fs_type || vc['fsType'] || 'ext4',
        },
      };
    });
  }

  async function ControllerUnpublishVolume({ request: req }: Call<csi.ControllerUnpublishVolumeRequest__Output>): Promise<csi.ControllerUnpublishVolumeResponse> {
    const id = requireField(req.volume_id, 'volume_id');
    const { target: t, slot } = targets.resolve(id);
    if (!isVolumeId(slot)) return {};
    return ctx.inflight.run([id], async () => {
      const v = await t.rds.getVolume(slot);
      if (!v) return {};
      const meta = parseVolumeMeta(v.comment);
      // An empty node_id means "from every node" (CSI spec).
      const keep = req.node_id ? meta.published.filter((p) => p.node !== nodeKey(req.node_id)) : [];
      if (keep.length !== meta.published.length) {
        const ended = meta.migration && keep.length < 2 ? meta.migration : undefined;
        await t.rds.setComment(slot, formatVolumeMeta({ ...meta, published: keep }));
        ctx.logger.info('volume unpublished', { volume: id, node: req.node_id || '(all)', nodes: keep.length });
        if (ended) {
          const result = Date.now() > migrationDeadline(ended) ? 'timed-out' : 'completed';
          migrations.inc({ result });
          ctx.logger[result === 'completed' ? 'info' : 'warn']('live migration ended', { volume: id, result, seconds: Math.round((Date.now() - ended.since) / 1000), remaining: keep.map((p) => p.node) });
        }
      }
      return {};
    });
  }

  return { ControllerPublishVolume, ControllerUnpublishVolume };
}
