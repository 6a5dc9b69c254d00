// A pod's env as the kubelet builds it (pkg/kubelet makeEnvironmentVariables):
// `envFrom` ConfigMaps and Secrets first (prefix, keys that are not valid
// variable names skipped), then `env` in order — `value` expanded with what came
// before, `valueFrom` (ConfigMap/Secret keys, downward-API fields, resource
// limits) taken literally. A missing non-optional ConfigMap, Secret or key is
// the kubelet's CreateContainerConfigError: the container is not created.
import type { V1Container, V1EnvVarSource, V1Pod } from '@kubernetes/client-node';
import type { EnvEntry } from '../core/env';
import { quantityBytes } from '../core/quantity';
import type { ResolvedEnv } from '../core/translate';
import { VolumeFilesError } from '../core/volume-files';

export interface EnvLookups {
  /** A ConfigMap's data, or undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** A Secret's data (decoded), or undefined when it does not exist. */
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /** The pod's address (allocated before the containers exist, as the kubelet does). */
  podIP(pod: V1Pod): Promise<string>;
  hostIP: string | undefined;
}

export class EnvConfigError extends Error {}

// C_IDENTIFIER-ish names the kubelet accepts from envFrom (it also allows '.' and '-').
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** True when some container needs the API server (or the pod's address) for its env. */
export function needsResolution(pod: V1Pod): boolean {
  return (pod.spec?.containers ?? []).some((c) => c.envFrom?.length || c.env?.some((e) => e.valueFrom));
}

export async function resolvePodEnv(pod: V1Pod, lookups: EnvLookups): Promise<ResolvedEnv> {
  const out = new Map<string, EnvEntry[]>();
  const cache = new Map<string, Promise<Record<string, string> | undefined>>();
  const ns = pod.metadata?.namespace || 'default';
  const source = (kind: 'configMap' | 'secret', name: string) => {
    const k = `${kind}/${name}`;
    let p = cache.get(k);
    if (!p) cache.set(k, (p = lookups[kind](ns, name)));
    return p;
  };
  for (const c of pod.spec?.containers ?? []) out.set(c.name, await containerEnv(pod, c, lookups, source));
  return out;
}

type Source = (kind: 'configMap' | 'secret', name: string) => Promise<Record<string, string> | undefined>;

const KIND_NAME = { configMap: 'configmap', secret: 'secret' } as const;

async function containerEnv(pod: V1Pod, c: V1Container, lookups: EnvLookups, source: Source): Promise<EnvEntry[]> {
  const entries: EnvEntry[] = [];
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ? { kind: 'configMap' as const, ...from.configMapRef } : from.secretRef ? { kind: 'secret' as const, ...from.secretRef } : undefined;
    if (!ref) continue;
    const data = await source(ref.kind, ref.name ?? '');
    if (!data) {
      if (ref.optional) continue;
      throw new EnvConfigError(`${KIND_NAME[ref.kind]} "${ref.name}" not found`);
    }
    for (const [k, v] of Object.entries(data)) {
      const name = `${from.prefix ?? ''}${k}`;
      if (ENV_NAME.test(name)) entries.push({ name, value: v, literal: true });
    }
  }
  for (const e of c.env ?? []) {
    if (!e.valueFrom) entries.push({ name: e.name, value: e.value ?? '' });
    else {
      const value = await valueFrom(pod, c, e.name, e.valueFrom, lookups, source);
      if (value !== undefined) entries.push({ name: e.name, value, literal: true });
    }
  }
  return entries;
}

async function valueFrom(pod: V1Pod, c: V1Container, name: string, v: V1EnvVarSource, lookups: EnvLookups, source: Source): Promise<string | undefined> {
  const keyRef = v.configMapKeyRef ? { kind: 'configMap' as const, ...v.configMapKeyRef } : v.secretKeyRef ? { kind: 'secret' as const, ...v.secretKeyRef } : undefined;
  if (keyRef) {
    const data = await source(keyRef.kind, keyRef.name ?? '');
    const value = data?.[keyRef.key];
    if (value !== undefined) return value;
    if (keyRef.optional) return undefined;
    throw new EnvConfigError(data ? `couldn't find key ${keyRef.key} in ${KIND_NAME[keyRef.kind]} ${pod.metadata?.namespace}/${keyRef.name}` : `${KIND_NAME[keyRef.kind]} "${keyRef.name}" not found`);
  }
  if (v.fieldRef) return fieldValue(pod, v.fieldRef.fieldPath, lookups);
  if (v.resourceFieldRef) return resourceValue(pod, c, v.resourceFieldRef.resource, v.resourceFieldRef.containerName, String(v.resourceFieldRef.divisor ?? '1'));
  throw new EnvConfigError(`env ${name}: this valueFrom source is not supported`);
}

// metadata.labels['key'] / metadata.annotations['key']
const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.+)'\]$/;

async function fieldValue(pod: V1Pod, path: string, lookups: EnvLookups): Promise<string> {
  const m = pod.metadata ?? {};
  const sub = SUBSCRIPT.exec(path);
  if (sub) return (sub[1] === 'labels' ? m.labels : m.annotations)?.[sub[2] ?? ''] ?? '';
  switch (path) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace || 'default';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
    case 'status.hostIPs':
      return lookups.hostIP ?? '';
    case 'status.podIP':
    case 'status.podIPs':
      return pod.status?.podIP || (await lookups.podIP(pod));
    default:
      throw new EnvConfigError(`fieldRef ${path} is not supported`);
  }
}

function resourceValue(pod: V1Pod, c: V1Container, resource: string, containerName: string | undefined, divisor: string): string {
  const target = containerName ? pod.spec?.containers.find((x) => x.name === containerName) : c;
  if (!target) throw new EnvConfigError(`resourceFieldRef: no container ${containerName}`);
  const [kind, res] = resource.split('.') as [string, string | undefined];
  const q = (kind === 'limits' ? target.resources?.limits : kind === 'requests' ? target.resources?.requests : undefined)?.[res ?? ''];
  if (res === 'memory' || res === 'ephemeral-storage') {
    const div = quantityBytes(divisor) || 1;
    // No limit: the kubelet reports the node's allocatable; we have no per-container figure.
    if (q === undefined) throw new EnvConfigError(`resourceFieldRef ${resource}: the container sets no ${resource}`);
    return String(Math.ceil((quantityBytes(String(q)) ?? 0) / div));
  }
  if (res === 'cpu') {
    const cores = q === undefined ? undefined : cpuCores(String(q));
    if (cores === undefined) throw new EnvConfigError(`resourceFieldRef ${resource}: the container sets no ${resource}`);
    return String(Math.max(1, Math.ceil(cores / (cpuCores(divisor) || 1))));
  }
  throw new EnvConfigError(`resourceFieldRef ${resource} is not supported`);
}

function cpuCores(q: string): number | undefined {
  if (/^\d+m$/.test(q)) return Number(q.slice(0, -1)) / 1000;
  if (/^\d+(\.\d+)?$/.test(q)) return Number(q);
  return undefined;
}

/** Why a pod's env or volume files cannot be built, as the container's waiting message. */
export function envErrorMessage(e: unknown): string {
  return e instanceof EnvConfigError || e instanceof VolumeFilesError ? e.message : `reading the pod's env sources failed: ${(e as Error).message}`;
}
