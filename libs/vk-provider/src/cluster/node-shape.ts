// What the Virtual Kubelet Node looks like: labels, the provider taint, and the
// status built from the router's /system/resource. Pure functions; node.ts
// writes them to the API server.
import type { V1NodeCondition, V1NodeStatus, V1Taint } from '@kubernetes/client-node';
import type { SystemResource } from '@mikrotik-kube/routeros-rest';
import { csrWaiting, type CsrState } from './serving-csr-status';

// nodeInfo.kubeletVersion (kubectl's VERSION column); the app has no package.json of its own to read it from.
export const PROVIDER_VERSION = '0.1.0';

export const PROVIDER_TAINT: V1Taint = { key: 'virtual-kubelet.io/provider', value: 'mikrotik', effect: 'NoSchedule' };

/** Kubernetes' GOARCH name for a RouterOS architecture-name. */
export function kubeArch(architectureName: string): string {
  switch (architectureName) {
    case 'arm64':
      return 'arm64';
    case 'arm':
      return 'arm';
    case 'x86_64':
    case 'x86':
      return 'amd64';
    default:
      throw new Error(`unsupported RouterOS architecture ${JSON.stringify(architectureName)} (expected arm64, arm, x86 or x86_64)`);
  }
}

export function nodeLabels(nodeName: string, resource: SystemResource): Record<string, string> {
  return {
    type: 'virtual-kubelet',
    'kubernetes.io/role': 'agent',
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': kubeArch(resource.architecture),
    'kubernetes.io/hostname': nodeName,
  };
}

/** The node's taints: whatever others set, with ours replaced by the current value. */
export function withProviderTaint(existing: V1Taint[] | undefined): V1Taint[] {
  const others = (existing ?? []).filter((t) => !(t.key === PROVIDER_TAINT.key && t.effect === PROVIDER_TAINT.effect));
  return [...others, PROVIDER_TAINT];
}

export interface Reachability {
  ok: boolean;
  /** Why not, when !ok. */
  error?: string;
  /** When readiness last flipped. */
  since: Date;
}

export function readyCondition(r: Reachability, version: string | undefined, now: Date): V1NodeCondition {
  return r.ok
    ? { type: 'Ready', status: 'True', reason: 'RouterReady', message: version ? `RouterOS ${version} answers` : 'the router answers', lastHeartbeatTime: now, lastTransitionTime: r.since }
    : { type: 'Ready', status: 'False', reason: 'RouterUnreachable', message: `the router does not answer: ${r.error ?? 'unknown error'}`, lastHeartbeatTime: now, lastTransitionTime: r.since };
}

/** A pressure the router is (or is not) under, and since when. */
export interface PressureState {
  on: boolean;
  since: Date;
}

export interface Pressures {
  memory: PressureState;
  disk: PressureState;
}

const MIN_FREE_MEMORY = 32 * 2 ** 20;

/**
 * Whether the router is short of memory (under 5 % or 32 MiB free) or of system storage
 * (under 10 % free) — the kubelet's idea of hard eviction thresholds, scaled for routers.
 */
export function underPressure(r: SystemResource): { memory: boolean; disk: boolean } {
  return {
    memory: r.totalMemory > 0 && r.freeMemory < Math.max(0.05 * r.totalMemory, Math.min(MIN_FREE_MEMORY, 0.25 * r.totalMemory)),
    disk: r.totalHddSpace > 0 && r.freeHddSpace < 0.1 * r.totalHddSpace,
  };
}

/** Carries each pressure's `since` over unless it flipped. */
export function nextPressures(prev: Pressures | undefined, r: SystemResource, now: Date): Pressures {
  const p = underPressure(r);
  const keep = (old: PressureState | undefined, on: boolean): PressureState => (old && old.on === on ? old : { on, since: now });
  return { memory: keep(prev?.memory, p.memory), disk: keep(prev?.disk, p.disk) };
}

const MiB = (n: number) => `${Math.round(n / 2 ** 20)} MiB`;

function pressureConditions(p: Pressures, r: SystemResource, now: Date): V1NodeCondition[] {
  const cond = (type: string, s: PressureState, on: [string, string], off: [string, string]): V1NodeCondition => {
    const [reason, message] = s.on ? on : off;
    return { type, status: s.on ? 'True' : 'False', reason, message, lastHeartbeatTime: now, lastTransitionTime: s.since };
  };
  const mem = `${MiB(r.freeMemory)} of ${MiB(r.totalMemory)} memory free`;
  const disk = `${MiB(r.freeHddSpace)} of ${MiB(r.totalHddSpace)} system storage free`;
  return [
    cond('MemoryPressure', p.memory, ['RouterHasInsufficientMemory', `the router is short of memory: ${mem}`], ['RouterHasSufficientMemory', mem]),
    cond('DiskPressure', p.disk, ['RouterHasDiskPressure', `the router is short of system storage: ${disk}`], ['RouterHasNoDiskPressure', disk]),
  ];
}

/** True while this replica's kubelet serving CSR waits for approval or the signer. */
export const SERVING_CSR_CONDITION = 'mikrotik.io/ServingCertificatePending';

const CSR_REASON: Record<CsrState['phase'], string> = {
  Pending: 'AwaitingApproval',
  Approved: 'AwaitingSigner',
  Issued: 'CertificateIssued',
  Denied: 'CSRDenied',
  Failed: 'CSRFailed',
  Stopped: 'Stopped',
};

export function servingCsrCondition(s: CsrState, now: Date): V1NodeCondition {
  return { type: SERVING_CSR_CONDITION, status: csrWaiting(s.phase) ? 'True' : 'False', reason: CSR_REASON[s.phase], message: s.message, lastHeartbeatTime: now, lastTransitionTime: s.since };
}

/** The host of the router's REST URL when it is an IP address (the node's InternalIP). */
export function routerAddress(restUrl: string): string | undefined {
  const host = new URL(restUrl).hostname.replace(/^\[|\]$/g, '');
  return /^[0-9.]+$/.test(host) || host.includes(':') ? host : undefined;
}

export interface NodeStatusInput {
  nodeName: string;
  maxPods: number;
  routerUrl: string;
  /** Where the API server reaches our kubelet API (InternalIP); default the router's address. */
  kubelet?: { address?: string; port: number };
  /** Last good answer of the router; absent until it has answered once. */
  resource: SystemResource | undefined;
  reachability: Reachability;
  /** Memory and disk pressure from the last good resource. */
  pressures?: Pressures;
  /** This replica's serving CSR, once it asked for one. */
  servingCsr?: CsrState;
  now: Date;
}

/** nodes/status body: capacity and nodeInfo from the last good resource, Ready, the pressures and the serving CSR. */
export function nodeStatus(i: NodeStatusInput): V1NodeStatus {
  const status: V1NodeStatus = {
    conditions: [readyCondition(i.reachability, i.resource?.version, i.now)],
    addresses: [{ type: 'Hostname', address: i.nodeName }],
  };
  const ip = i.kubelet?.address || routerAddress(i.routerUrl);
  if (ip) status.addresses?.unshift({ type: 'InternalIP', address: ip });
  if (i.kubelet) status.daemonEndpoints = { kubeletEndpoint: { Port: i.kubelet.port } };
  const r = i.resource;
  if (r && i.pressures) status.conditions?.push(...pressureConditions(i.pressures, r, i.now));
  if (i.servingCsr) status.conditions?.push(servingCsrCondition(i.servingCsr, i.now));
  if (r) {
    const capacity = { cpu: String(r.cpuCount), memory: String(r.totalMemory), pods: String(i.maxPods) };
    status.capacity = capacity;
    status.allocatable = { ...capacity };
    status.nodeInfo = {
      architecture: kubeArch(r.architecture),
      operatingSystem: 'linux',
      osImage: `RouterOS ${r.version}`,
      kernelVersion: '',
      containerRuntimeVersion: `routeros://${r.version.split(' ')[0] ?? ''}`,
      kubeletVersion: `v${PROVIDER_VERSION}-mikrotik-kube`,
      kubeProxyVersion: '',
      bootID: '',
      machineID: '',
      systemUUID: '',
    };
  }
  return status;
}
