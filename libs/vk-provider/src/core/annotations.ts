// The pod annotations we read (see README "Annotations"). Each is checked here;
// a bad value is an error that names the annotation, never a silent default.
import { podKey } from './naming';

export const ANNOTATION = {
  bootPriority: 'mikrotik.io/boot-priority',
  dependsOn: 'mikrotik.io/depends-on',
  file: 'mikrotik.io/file',
  network: 'mikrotik.io/network',
  maxRestarts: 'mikrotik.io/max-restarts',
  restartWithDependencies: 'mikrotik.io/restart-with-dependencies',
} as const;

export interface PodAnnotations {
  /** Lower boots first among pods whose dependencies are met. */
  bootPriority: number;
  /** Pod keys (`ns/pod`) that must be running and ready first. */
  dependsOn: string[];
  /** Tarball on the router for the pod's containers, by container name ('' = every container). */
  files: Map<string, string>;
  network: string;
  maxRestarts: number;
  restartWithDependencies: boolean;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const NETWORK = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
// A router path: plain segments, nothing to quote, no traversal.
const ROUTER_FILE = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*(\/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$/;

function integer(v: string, name: string, min: number, max: number, errors: string[]): number | undefined {
  if (!/^-?\d+$/.test(v.trim()) || Number(v) < min || Number(v) > max) {
    errors.push(`annotation ${name}: ${JSON.stringify(v)} is not an integer in ${min}..${max}`);
    return undefined;
  }
  return Number(v);
}

/**
 * `mikrotik.io/depends-on: "db, infra/dns"` — comma-separated pod names; a bare
 * name is a pod in the same namespace, `ns/pod` one in another namespace.
 */
export function parseDependsOn(value: string, namespace: string, self: string, errors: string[]): string[] {
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const parts = item.split('/');
    const [ns, pod] = parts.length === 1 ? [namespace, parts[0] as string] : parts.length === 2 ? [parts[0] as string, parts[1] as string] : ['', ''];
    if (!DNS_SUBDOMAIN.test(ns) || !DNS_SUBDOMAIN.test(pod)) {
      errors.push(`annotation ${ANNOTATION.dependsOn}: ${JSON.stringify(item)} is not "<pod>" or "<namespace>/<pod>"`);
      continue;
    }
    const key = podKey(ns, pod);
    if (key === podKey(namespace, self)) errors.push(`annotation ${ANNOTATION.dependsOn}: a pod cannot depend on itself`);
    else if (!out.includes(key)) out.push(key);
  }
  return out;
}

export function parseAnnotations(annotations: Record<string, string> | undefined, namespace: string, pod: string, containers: string[]): { value: PodAnnotations; errors: string[] } {
  const a = annotations ?? {};
  const errors: string[] = [];
  const value: PodAnnotations = { bootPriority: 0, dependsOn: [], files: new Map(), network: '', maxRestarts: 0, restartWithDependencies: false };
  const prio = a[ANNOTATION.bootPriority];
  if (prio !== undefined) value.bootPriority = integer(prio, ANNOTATION.bootPriority, -1_000_000, 1_000_000, errors) ?? 0;
  const deps = a[ANNOTATION.dependsOn];
  if (deps !== undefined) value.dependsOn = parseDependsOn(deps, namespace, pod, errors);
  const max = a[ANNOTATION.maxRestarts];
  if (max !== undefined) value.maxRestarts = integer(max, ANNOTATION.maxRestarts, 0, 1000, errors) ?? 0;
  const rwd = a[ANNOTATION.restartWithDependencies];
  if (rwd !== undefined) {
    if (rwd !== 'true' && rwd !== 'false') errors.push(`annotation ${ANNOTATION.restartWithDependencies}: must be "true" or "false"`);
    value.restartWithDependencies = rwd === 'true';
  }
  const net = a[ANNOTATION.network];
  if (net !== undefined) {
    if (NETWORK.test(net)) value.network = net;
    else errors.push(`annotation ${ANNOTATION.network}: ${JSON.stringify(net)} is not a network name`);
  }
  for (const [k, v] of Object.entries(a)) {
    if (k !== ANNOTATION.file && !k.startsWith(`${ANNOTATION.file}.`)) continue;
    const container = k === ANNOTATION.file ? '' : k.slice(ANNOTATION.file.length + 1);
    if (container && !containers.includes(container)) errors.push(`annotation ${k}: the pod has no container ${JSON.stringify(container)}`);
    else if (!ROUTER_FILE.test(v) || v.length > 200) errors.push(`annotation ${k}: ${JSON.stringify(v)} is not a router file path`);
    else value.files.set(container, v);
  }
  return { value, errors };
}
