// The boot order as a graph: one node per pod (its boot-supervisor unit), an edge from each
// pod it depends on (`mikrotik.io/depends-on`), and each node's health from the pod's status.
// Built from the reported pods alone, so whatever shows the status API can draw it.
// Layers: a pod sits one layer right of the deepest pod it depends on.
import type { V1Pod } from '@kubernetes/client-node';
import { ANNOTATION, parseDependsOn } from '../core/annotations';
import { BOOT_INDEX_ANNOTATION } from '../core/pod-status';

/** ready; unready: running, not ready; waiting: not started yet; backoff; failed; missing: depended on, not a pod here. */
export type UnitHealth = 'ready' | 'unready' | 'waiting' | 'backoff' | 'failed' | 'missing';

export interface GraphNode {
  key: string;
  health: UnitHealth;
  /** The supervisor's boot position, when it has one. */
  bootIndex?: number;
  dependsOn: string[];
  layer: number;
}

export interface BootGraph {
  nodes: GraphNode[];
  /** `from` must be running and ready before `to` starts. */
  edges: Array<{ from: string; to: string }>;
}

const STARTING = new Set(['ContainerCreating', 'WaitingForDependencies', 'Pending', 'PodInitializing']);

export function podHealth(p: V1Pod): UnitHealth {
  const cs = p.status?.containerStatuses ?? [];
  if (p.status?.phase === 'Failed' || cs.some((c) => c.state?.terminated)) return 'failed';
  if (cs.some((c) => c.state?.waiting?.reason === 'CrashLoopBackOff')) return 'backoff';
  if (cs.length > 0 && cs.every((c) => c.ready)) return 'ready';
  if (cs.some((c) => c.state?.running)) return 'unready';
  // A pod that cannot be made (bad spec, router refused) is not just late.
  if (p.status?.reason || cs.some((c) => c.state?.waiting?.reason && !STARTING.has(c.state.waiting.reason))) return 'failed';
  return 'waiting';
}

export function bootGraph(pods: V1Pod[]): BootGraph {
  const byKey = new Map<string, GraphNode>();
  for (const p of pods) {
    const ns = p.metadata?.namespace || 'default';
    const name = p.metadata?.name ?? '';
    const a = p.metadata?.annotations ?? {};
    const boot = a[BOOT_INDEX_ANNOTATION];
    const deps = a[ANNOTATION.dependsOn];
    byKey.set(`${ns}/${name}`, {
      key: `${ns}/${name}`,
      health: podHealth(p),
      ...(boot !== undefined && /^\d+$/.test(boot) ? { bootIndex: Number(boot) } : {}),
      // Bad items were reported on the pod already; the graph shows the good ones.
      dependsOn: deps === undefined ? [] : parseDependsOn(deps, ns, name, []),
      layer: 0,
    });
  }
  for (const n of [...byKey.values()]) {
    for (const d of n.dependsOn) if (!byKey.has(d)) byKey.set(d, { key: d, health: 'missing', dependsOn: [], layer: 0 });
  }
  // Longest path from a root; a cycle (the supervisor refuses those) is cut where it closes.
  const visiting = new Set<string>();
  const done = new Set<string>();
  const layerOf = (n: GraphNode): number => {
    if (done.has(n.key) || visiting.has(n.key)) return n.layer;
    visiting.add(n.key);
    n.layer = Math.max(0, ...n.dependsOn.map((d) => layerOf(byKey.get(d) as GraphNode) + 1));
    visiting.delete(n.key);
    done.add(n.key);
    return n.layer;
  };
  for (const n of byKey.values()) layerOf(n);
  const order = (a: GraphNode, b: GraphNode) => a.layer - b.layer || (a.bootIndex ?? Number.MAX_SAFE_INTEGER) - (b.bootIndex ?? Number.MAX_SAFE_INTEGER) || a.key.localeCompare(b.key);
  const nodes = [...byKey.values()].sort(order);
  return { nodes, edges: nodes.flatMap((n) => n.dependsOn.map((from) => ({ from, to: n.key }))) };
}
