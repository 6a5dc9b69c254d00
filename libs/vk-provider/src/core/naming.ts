// Names on the router for a pod's objects. RouterOS container names are
// `<namespace>_<pod>_<container>` (MKH's form, readable in WinBox), restricted to
// [a-z0-9_.-] so they never need quoting, and cut to 64 characters with a hash
// suffix so two long names never collide after cutting.
import { createHash } from 'node:crypto';

export const MAX_CONTAINER_NAME = 64;

export const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

export function shortHash(text: string, length = 8): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function sanitise(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
}

export function containerName(namespace: string, pod: string, container: string): string {
  const full = `${sanitise(namespace)}_${sanitise(pod)}_${sanitise(container)}`;
  // Hash the unsanitised triple so names that sanitise alike still differ when cut.
  if (full.length <= MAX_CONTAINER_NAME) return full;
  const hash = shortHash(`${namespace}/${pod}/${container}`);
  return `${full.slice(0, MAX_CONTAINER_NAME - hash.length - 1)}-${hash}`;
}

/** Env list of one container (one list per container, named like it). */
export const envListName = (rosName: string) => rosName;

/** root-dir of a container: fresh per spec, since RouterOS skips extraction into a non-empty root-dir. */
export const rootDir = (base: string, rosName: string, specHash: string) => `${base}/${rosName}-${specHash.slice(0, 8)}`;

/**
 * Boot-supervisor unit of a pod's container: the first container is the pod's
 * unit (`ns/pod`, what `mikrotik.io/depends-on` names); others get `ns/pod/<container>`.
 */
export const unitName = (namespace: string, pod: string, container: string, index: number) =>
  index === 0 ? podKey(namespace, pod) : `${podKey(namespace, pod)}/${container}`;
