// What the controller keeps on the router itself, in the disk comment, so nothing is lost
// when the controller restarts: creation time, volume mode, content source, and publish state
// (nodes, read-only, and while on two nodes when that live migration began and how long it may
// last). Disks made by the upstream driver have no comment: they read as "unknown age, unpublished".
//   volume:   csi;v=1;t=<unix s>;m=b|f;src=s:<snap id>|v:<vol id>;n=<node>:w|r,<node>:w|r;mig=<unix s>+<timeout s>
//   snapshot: csi-snap;v=1;t=<unix s>;src=<vol id>;sz=<source bytes>
import { createHash } from 'node:crypto';

export interface Publication {
  node: string;
  readonly: boolean;
}

export interface VolumeMeta {
  createdAt?: number;
  block?: boolean;
  source?: { kind: 'snapshot' | 'volume'; id: string };
  published: Publication[];
  /** Set while published on two nodes: the second publish began a live migration. */
  migration?: Migration;
}

export interface Migration {
  /** When the second node was published (ms). */
  since: number;
  timeoutSeconds: number;
}

export const migrationDeadline = (m: Migration): number => m.since + m.timeoutSeconds * 1000;

/** A migration still on two nodes after its window: the reason, else undefined. */
export function migrationOverdue(meta: VolumeMeta, now: number): string | undefined {
  const m = meta.migration;
  if (!m || meta.published.length < 2 || now <= migrationDeadline(m)) return undefined;
  const nodes = meta.published.map((p) => p.node).join(' and ');
  return `live migration overdue: on ${nodes} for ${Math.round((now - m.since) / 1000)} s, migrationTimeoutSeconds is ${m.timeoutSeconds}; unpublish one node`;
}

export interface SnapshotMeta {
  createdAt?: number;
  sourceVolume: string;
  sourceBytes?: number;
}

const SAFE_NODE = /^[A-Za-z0-9._-]{1,60}$/;

/** Node ids go into the comment as-is when short and plain, else as a stable hash. */
export const nodeKey = (node: string): string => (SAFE_NODE.test(node) ? node : `h-${createHash('sha256').update(node).digest('hex').slice(0, 16)}`);

function fields(comment: string | undefined, marker: string): Map<string, string> | undefined {
  if (!comment) return undefined;
  const parts = comment.split(';');
  if (parts[0] !== marker) return undefined;
  const m = new Map<string, string>();
  for (const p of parts.slice(1)) {
    const i = p.indexOf('=');
    if (i > 0) m.set(p.slice(0, i), p.slice(i + 1));
  }
  return m;
}

export const isOurVolumeComment = (c: string | undefined) => fields(c, 'csi') !== undefined;
export const isOurSnapshotComment = (c: string | undefined) => fields(c, 'csi-snap') !== undefined;

export function parseVolumeMeta(comment: string | undefined): VolumeMeta {
  const f = fields(comment, 'csi');
  if (!f) return { published: [] };
  const meta: VolumeMeta = { published: [] };
  const t = Number(f.get('t'));
  if (Number.isFinite(t) && t > 0) meta.createdAt = t * 1000;
  if (f.has('m')) meta.block = f.get('m') === 'b';
  const src = /^([sv]):(.+)$/.exec(f.get('src') ?? '');
  if (src?.[2]) meta.source = { kind: src[1] === 's' ? 'snapshot' : 'volume', id: src[2] };
  for (const n of (f.get('n') ?? '').split(',').filter(Boolean)) {
    const [node, mode] = n.split(':');
    if (node) meta.published.push({ node, readonly: mode === 'r' });
  }
  const mig = /^(\d+)\+(\d+)$/.exec(f.get('mig') ?? '');
  if (mig) meta.migration = { since: Number(mig[1]) * 1000, timeoutSeconds: Number(mig[2]) };
  return meta;
}

export function formatVolumeMeta(m: VolumeMeta): string {
  const parts = ['csi', 'v=1'];
  if (m.createdAt) parts.push(`t=${Math.floor(m.createdAt / 1000)}`);
  if (m.block !== undefined) parts.push(`m=${m.block ? 'b' : 'f'}`);
  if (m.source) parts.push(`src=${m.source.kind === 'snapshot' ? 's' : 'v'}:${m.source.id}`);
  if (m.published.length) parts.push(`n=${m.published.map((p) => `${p.node}:${p.readonly ? 'r' : 'w'}`).join(',')}`);
  // A window only means something while two nodes are on: an unpublish ends it.
  if (m.migration && m.published.length > 1) parts.push(`mig=${Math.floor(m.migration.since / 1000)}+${m.migration.timeoutSeconds}`);
  return parts.join(';');
}

export function parseSnapshotMeta(comment: string | undefined): SnapshotMeta | undefined {
  const f = fields(comment, 'csi-snap');
  if (!f?.get('src')) return undefined;
  const meta: SnapshotMeta = { sourceVolume: f.get('src') as string };
  const t = Number(f.get('t'));
  if (Number.isFinite(t) && t > 0) meta.createdAt = t * 1000;
  const sz = Number(f.get('sz'));
  if (Number.isSafeInteger(sz) && sz > 0) meta.sourceBytes = sz;
  return meta;
}

export function formatSnapshotMeta(m: SnapshotMeta): string {
  const parts = ['csi-snap', 'v=1', `src=${m.sourceVolume}`];
  if (m.createdAt) parts.push(`t=${Math.floor(m.createdAt / 1000)}`);
  if (m.sourceBytes) parts.push(`sz=${m.sourceBytes}`);
  return parts.join(';');
}
