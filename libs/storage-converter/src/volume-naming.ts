// Names on the router for pod volumes. Kubernetes names are checked against their own
// grammar (so nothing can climb out of the volume root or need quoting), then laid out as
// `<root>/<namespace>/<pod>/<volume>` with a marker file `<volume>.<kind>.mkvol` beside
// each directory: the tag that says we made it and what it is. Mount entries carry the
// same facts in their comment; mount lists are per container, hashed to stay unique.
import { createHash } from 'node:crypto';
import { invalid } from './errors';

export type VolumeKindName = 'empty-dir' | 'persistent';

export interface VolumeId {
  namespace: string;
  pod: string;
  volume: string;
}

export interface MountTag extends VolumeId {
  container: string;
  kind: VolumeKindName;
}

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function checkSubdomain(what: string, v: string): string {
  if (v.length > 253 || !SUBDOMAIN.test(v) || v.includes('..')) throw invalid(`${what} ${JSON.stringify(v)} is not a valid Kubernetes name`);
  return v;
}

export function checkLabel(what: string, v: string): string {
  if (v.length > 63 || !LABEL.test(v)) throw invalid(`${what} ${JSON.stringify(v)} is not a valid Kubernetes name (DNS label)`);
  return v;
}

/** Absolute, normalised, printable and free of characters RouterOS lists would split on. */
export function checkMountPath(v: string): string {
  const segs = v.split('/').slice(1);
  const control = [...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
  if (!v.startsWith('/') || v.length > 255 || control || /[\s,;"'\\$`]/.test(v) || segs.some((s) => s === '..' || s === '.') || (v !== '/' && segs.some((s) => s === ''))) {
    throw invalid(`mount path ${JSON.stringify(v)} must be an absolute path without '..', spaces, quotes or commas`);
  }
  return v;
}

export const podDir = (root: string, ns: string, pod: string) => `${root}/${ns}/${pod}`;
export const volumeDir = (root: string, id: VolumeId) => `${podDir(root, id.namespace, id.pod)}/${id.volume}`;
export const markerFile = (root: string, id: VolumeId, kind: VolumeKindName) => `${volumeDir(root, id)}.${kind}.mkvol`;

/** Parses `<root>/<ns>/<pod>/<volume>.<kind>.mkvol`; undefined for anything else. */
export function parseMarker(root: string, name: string): (VolumeId & { kind: VolumeKindName }) | undefined {
  if (!name.startsWith(`${root}/`)) return undefined;
  const m = /^([^/]+)\/([^/]+)\/([a-z0-9-]+)\.(empty-dir|persistent)\.mkvol$/.exec(name.slice(root.length + 1));
  if (!m || !SUBDOMAIN.test(m[1] as string) || !SUBDOMAIN.test(m[2] as string)) return undefined;
  return { namespace: m[1] as string, pod: m[2] as string, volume: m[3] as string, kind: m[4] as VolumeKindName };
}

export function mountListName(ns: string, pod: string, container: string): string {
  const hash = createHash('sha256').update(`${ns}/${pod}/${container}`).digest('hex').slice(0, 10);
  const readable = `${pod}-${container}`.replace(/[^a-z0-9-]/g, '-').slice(0, 40);
  return `mk-${readable}-${hash}`;
}

const TAG = 'mk-volume';

export function mountComment(t: MountTag): string {
  return `${TAG};ns=${t.namespace};pod=${t.pod};container=${t.container};volume=${t.volume};kind=${t.kind}`;
}

export function parseMountComment(c: string | undefined): MountTag | undefined {
  if (!c?.startsWith(`${TAG};`)) return undefined;
  const kv = new Map(c.split(';').slice(1).map((p) => p.split('=', 2) as [string, string]));
  const [ns, pod, container, volume, kind] = ['ns', 'pod', 'container', 'volume', 'kind'].map((k) => kv.get(k) ?? '');
  if (!ns || !pod || !container || !volume || (kind !== 'empty-dir' && kind !== 'persistent')) return undefined;
  return { namespace: ns, pod, container, volume, kind };
}
