// Pod → what we create on the router: one RouterOS container per pod container,
// all on the pod's veth (one address per pod, as Kubernetes pods share a network
// namespace), with image, entrypoint/cmd, env, volumes, hostname, user, memory
// limit and logging, plus the boot-supervisor units. Errors make
// the pod invalid (nothing is created); `notes` are fields RouterOS cannot
// express — they are shown in the pod's status, never silently dropped.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import type { kube } from '@mikrotik-kube/proto';
import { parseAnnotations, type PodAnnotations } from './annotations';
import { entryCmd } from './command';
import { type EnvEntry, expand, resolveEnv } from './env';
import { containerName, podKey, unitName } from './naming';
import { translateProbe } from './probes';
import { fileSource, fileSourceNotes } from './volume-files';
import { quantityBytes } from './quantity';

export type VolumeKind = 'VOLUME_KIND_EMPTY_DIR' | 'VOLUME_KIND_PERSISTENT';
export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface VolumePlan {
  volume: string;
  mountPath: string;
  kind: VolumeKind;
  readOnly: boolean;
}

export interface ContainerPlan {
  /** Kubernetes container name. */
  name: string;
  /** RouterOS container name. */
  rosName: string;
  unit: string;
  image: string;
  /** A prebuilt tarball on the router (`mikrotik.io/file`) instead of converting `image`. */
  file?: string;
  entrypoint?: string;
  cmd?: string;
  env: Array<[string, string]>;
  workdir?: string;
  user?: string;
  memoryBytes?: number;
  volumes: VolumePlan[];
  startupProbe?: kube.Probe;
  livenessProbe?: kube.Probe;
  readinessProbe?: kube.Probe;
}

export interface PodPlan {
  key: string;
  namespace: string;
  name: string;
  /** Hash of everything the router objects are made from; a change recreates the pod. */
  hash: string;
  hostname: string;
  restartPolicy: RestartPolicy;
  annotations: PodAnnotations;
  containers: ContainerPlan[];
  /** The pod's DNS servers: `replace` (dnsPolicy None) instead of the pod network's, else added to them. */
  dns: { nameservers: string[]; replace: boolean };
  /** spec.hostAliases as /etc/hosts entries, name → address. */
  hosts: Array<[string, string]>;
  /** ConfigMap and Secret volumes some container mounts: their files are written into the volume. */
  fileVolumes: string[];
  /** spec.terminationGracePeriodSeconds, the container's stop-time. */
  stopTimeSeconds?: number;
  notes: string[];
}

/**
 * A container's env with `envFrom` and `valueFrom` already resolved (cluster mode reads
 * ConfigMaps, Secrets and fields), by container name. It never enters the spec hash:
 * like the kubelet, a changed ConfigMap does not restart a running pod.
 */
export type ResolvedEnv = ReadonlyMap<string, EnvEntry[]>;

export type Translation = { ok: true; plan: PodPlan } | { ok: false; key: string; errors: string[] };

/** JSON with object keys sorted, so equal specs hash equally. */
function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date)) {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function specHash(pod: V1Pod): string {
  const ours = Object.entries(pod.metadata?.annotations ?? {}).filter(([k]) => k.startsWith('mikrotik.io/'));
  return createHash('sha256')
    // The uid (cluster mode) makes a pod deleted and created again under its name a new pod.
    .update(stableJson({ spec: pod.spec, annotations: Object.fromEntries(ours), uid: pod.metadata?.uid }))
    .digest('hex')
    .slice(0, 16);
}

function volumeKind(v: V1Volume, where: string, errors: string[], notes: string[]): VolumeKind | undefined {
  if (v.emptyDir) {
    if (v.emptyDir.medium === 'Memory') notes.push(`${where}: emptyDir medium Memory is not supported; a directory on the router's disk is used`);
    if (v.emptyDir.sizeLimit !== undefined) notes.push(`${where}: emptyDir sizeLimit is not enforced by RouterOS`);
    return 'VOLUME_KIND_EMPTY_DIR';
  }
  if (v.hostPath) {
    notes.push(`${where}: hostPath ${v.hostPath.path} is provisioned as a persistent directory of the pod on the router (the path itself is not used)`);
    return 'VOLUME_KIND_PERSISTENT';
  }
  if (v.persistentVolumeClaim) {
    // A router directory instead of the claimed volume would look bound while the data lives elsewhere.
    errors.push(`${where}: persistentVolumeClaim ${v.persistentVolumeClaim.claimName} cannot back a pod on the router yet (RDS volumes mount only on Kubernetes nodes); use hostPath for a directory kept on the router`);
    return undefined;
  }
  const files = fileSource(v);
  if (files) {
    notes.push(...fileSourceNotes(files, where));
    return 'VOLUME_KIND_EMPTY_DIR';
  }
  // The API server's kube-api-access-* volume, in every cluster pod: nothing on the router uses it.
  if (v.projected?.sources?.some((p) => p.serviceAccountToken)) {
    notes.push(`${where}: the service account token is not mounted`);
    return undefined;
  }
  const kind = Object.keys(v).find((k) => k !== 'name') ?? 'unknown';
  notes.push(`${where}: volume type ${kind} is not supported; the mount is left out`);
  return undefined;
}

function containerNotes(c: V1Container, where: string, notes: string[], envResolved: boolean): void {
  if (c.ports?.some((p) => p.hostPort)) notes.push(`${where}: hostPort is not supported (RouterOS has no port mapping; use dst-nat)`);
  if (c.resources?.limits?.['cpu'] !== undefined) notes.push(`${where}: cpu limit is not enforced by RouterOS`);
  if (!envResolved) {
    if (c.envFrom?.length) notes.push(`${where}: envFrom is not supported in this mode; those variables are not set`);
    for (const e of c.env ?? []) if (e.valueFrom) notes.push(`${where}: env ${e.name} valueFrom is not supported in this mode; it is set to ""`);
  }
  if (c.lifecycle) notes.push(`${where}: lifecycle hooks are not supported`);
  if (c.stdin || c.tty) notes.push(`${where}: stdin/tty are not supported`);
  const sc = c.securityContext;
  if (sc?.privileged) notes.push(`${where}: privileged is not supported`);
  if (sc?.capabilities) notes.push(`${where}: capabilities are not supported`);
  if (sc?.readOnlyRootFilesystem) notes.push(`${where}: readOnlyRootFilesystem is not supported`);
}

function podNotes(pod: V1Pod, notes: string[]): void {
  const s = pod.spec;
  if (!s) return;
  if (s.initContainers?.length) notes.push('spec.initContainers are not supported; they are not run');
  if (s.ephemeralContainers?.length) notes.push('spec.ephemeralContainers are not supported');
  if (s.hostNetwork) notes.push('spec.hostNetwork is not supported; the pod gets its own veth address');
  if (s.securityContext?.fsGroup !== undefined) notes.push('spec.securityContext.fsGroup is not applied (RouterOS sets no ownership of volumes)');
  if (s.activeDeadlineSeconds !== undefined) notes.push('spec.activeDeadlineSeconds is not enforced');
  if (s.dnsConfig?.searches?.length || s.dnsConfig?.options?.length) notes.push('spec.dnsConfig searches/options are not supported');
}

// Kubernetes' DNS-1123 subdomain: also keeps `,` and `=` out of RouterOS's `hosts` list.
const HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * RouterOS has one list of DNS servers per container: dnsPolicy None gives exactly
 * dnsConfig.nameservers, other policies the pod network's servers plus them. Cluster DNS
 * (ClusterFirst, the API server's default) is out of the router's reach, so it is reported.
 */
function podDns(pod: V1Pod, errors: string[], notes: string[]): PodPlan['dns'] {
  const policy = pod.spec?.dnsPolicy;
  const nameservers = pod.spec?.dnsConfig?.nameservers ?? [];
  for (const [i, ns] of nameservers.entries()) if (!isIP(ns)) errors.push(`spec.dnsConfig.nameservers[${i}]: ${JSON.stringify(ns)} is not an IP address`);
  if (policy === 'ClusterFirst' || policy === 'ClusterFirstWithHostNet') notes.push(`spec.dnsPolicy ${policy}: cluster DNS is not reachable from the router; the pod network's DNS servers are used`);
  else if (policy === 'None' && !nameservers.length) notes.push("spec.dnsPolicy None without dnsConfig.nameservers: the router's DNS servers are used");
  else if (policy !== undefined && policy !== 'Default' && policy !== 'None') errors.push(`spec.dnsPolicy: ${policy} is not ClusterFirst, ClusterFirstWithHostNet, Default or None`);
  return { nameservers, replace: policy === 'None' && nameservers.length > 0 };
}

function podHosts(pod: V1Pod, errors: string[]): Array<[string, string]> {
  return (pod.spec?.hostAliases ?? []).flatMap((a, i) => {
    const where = `spec.hostAliases[${i}]`;
    if (!isIP(a.ip ?? '')) errors.push(`${where}.ip: ${JSON.stringify(a.ip)} is not an IP address`);
    const bad = (a.hostnames ?? []).find((h) => h.length > 253 || !HOSTNAME.test(h));
    if (bad !== undefined) errors.push(`${where}.hostnames: ${JSON.stringify(bad)} is not a valid hostname`);
    return (a.hostnames ?? []).map((h): [string, string] => [h, a.ip ?? '']);
  });
}

/** An explicit runAsUser other than root (the image's own user is not known here). */
function nonRoot(c: V1Container, pod: V1Pod): boolean {
  const uid = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  return uid !== undefined && uid !== 0;
}

function userOf(c: V1Container, pod: V1Pod, where: string, notes: string[]): string | undefined {
  const uid = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  const gid = c.securityContext?.runAsGroup ?? pod.spec?.securityContext?.runAsGroup;
  if (uid === undefined) {
    if (gid !== undefined) notes.push(`${where}: runAsGroup without runAsUser is not supported`);
    return undefined;
  }
  return gid === undefined ? String(uid) : `${uid}:${gid}`;
}

export function translatePod(pod: V1Pod, resolvedEnv?: ResolvedEnv): Translation {
  const namespace = pod.metadata?.namespace || 'default';
  const name = pod.metadata?.name ?? '';
  const key = podKey(namespace, name);
  const errors: string[] = [];
  const notes: string[] = [];
  const spec = pod.spec;
  if (!name) errors.push('metadata.name is required');
  if (!spec?.containers?.length) return { ok: false, key, errors: [...errors, 'spec.containers must have at least one container'] };
  const names = spec.containers.map((c) => c.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) errors.push(`spec.containers: duplicate container name ${dup}`);
  const ann = parseAnnotations(pod.metadata?.annotations, namespace, name, names);
  errors.push(...ann.errors);
  const restartPolicy = (spec.restartPolicy ?? 'Always') as RestartPolicy;
  if (!['Always', 'OnFailure', 'Never'].includes(restartPolicy)) errors.push(`spec.restartPolicy: ${restartPolicy} is not Always, OnFailure or Never`);
  podNotes(pod, notes);
  const dns = podDns(pod, errors, notes);
  const hosts = podHosts(pod, errors);
  const grace = spec.terminationGracePeriodSeconds;
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) errors.push(`spec.terminationGracePeriodSeconds: ${grace} is not a whole number of seconds`);
  const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
  const fileVolumes = new Set<string>();

  const containers = spec.containers.map((c, i): ContainerPlan => {
    const where = `spec.containers[${i}] (${c.name})`;
    const resolved = resolvedEnv?.get(c.name);
    containerNotes(c, where, notes, !!resolved);
    if (!c.image && !ann.value.files.has(c.name) && !ann.value.files.has('')) errors.push(`${where}: image is required (or annotation mikrotik.io/file)`);
    const env = resolveEnv(resolved ?? (c.env ?? []).map((e) => ({ name: e.name, value: e.value })));
    const lookup = (n: string) => env.get(n);
    const ec = entryCmd(c.command?.map((w) => expand(w, lookup)), c.args?.map((w) => expand(w, lookup)));
    const mounts: VolumePlan[] = [];
    for (const [j, m] of (c.volumeMounts ?? []).entries()) {
      const v = volumes.get(m.name);
      const mw = `${where}.volumeMounts[${j}]`;
      if (!v) {
        errors.push(`${mw}: no volume named ${m.name} in spec.volumes`);
        continue;
      }
      if (m.subPath || m.subPathExpr) notes.push(`${mw}: subPath is not supported; the whole volume is mounted`);
      const kind = volumeKind(v, `spec.volumes (${v.name})`, errors, notes);
      if (kind) mounts.push({ volume: m.name, mountPath: m.mountPath, kind, readOnly: !!m.readOnly });
      if (kind && fileSource(v)) fileVolumes.add(m.name);
      // Kubernetes makes an emptyDir 0777; RouterOS has no chmod/chown, and its directories are root's, 0755.
      if (kind && !fileSource(v) && !m.readOnly && nonRoot(c, pod)) notes.push(`${mw}: RouterOS makes volume directories root-owned (0755), so a non-root user cannot write to ${m.mountPath}`);
    }
    const memory = c.resources?.limits?.['memory'];
    const memoryBytes = memory === undefined ? undefined : quantityBytes(memory);
    if (memory !== undefined && memoryBytes === undefined) errors.push(`${where}: resources.limits.memory ${JSON.stringify(memory)} is not a quantity`);
    const probeNotes: string[] = [];
    const probes = {
      startupProbe: translateProbe(c.startupProbe, c, `${where}.startupProbe`, errors, probeNotes),
      livenessProbe: translateProbe(c.livenessProbe, c, `${where}.livenessProbe`, errors, probeNotes),
      readinessProbe: translateProbe(c.readinessProbe, c, `${where}.readinessProbe`, errors, probeNotes),
    };
    notes.push(...probeNotes);
    const file = ann.value.files.get(c.name) ?? ann.value.files.get('');
    const user = userOf(c, pod, where, notes);
    return {
      name: c.name,
      rosName: containerName(namespace, name, c.name),
      unit: unitName(namespace, name, c.name, i),
      image: c.image ?? '',
      ...(file ? { file } : {}),
      ...ec,
      env: [...env.entries()],
      ...(c.workingDir ? { workdir: c.workingDir } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(memoryBytes !== undefined ? { memoryBytes } : {}),
      volumes: mounts,
      ...Object.fromEntries(Object.entries(probes).filter(([, p]) => p !== undefined)),
    };
  });
  if (errors.length) return { ok: false, key, errors };
  return {
    ok: true,
    plan: {
      key,
      namespace,
      name,
      hash: specHash(pod),
      hostname: spec.hostname ?? name,
      restartPolicy,
      annotations: ann.value,
      containers,
      dns,
      hosts,
      fileVolumes: [...fileVolumes],
      ...(grace !== undefined ? { stopTimeSeconds: grace } : {}),
      // A volume mounted by several containers is reported once.
      notes: [...new Set(notes)],
    },
  };
}
