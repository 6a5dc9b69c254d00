// Boot order: dependencies first, then lower priority first, ties kept in
// registration order (stable). Cycles are found, not silently cut — the
// Go mikrotik-kube's visited-set DFS hid them.

export interface OrderNode {
  name: string;
  dependsOn: readonly string[];
  priority: number;
  /** Registration sequence; breaks priority ties so the order is stable. */
  seq: number;
}

const before = (a: OrderNode, b: OrderNode) => a.priority - b.priority || a.seq - b.seq;

/**
 * Kahn's algorithm picking, among the units whose known dependencies are
 * placed, the lowest (priority, seq). Dependencies on names not in `nodes` do
 * not constrain the order (the scheduler holds such units back instead).
 * Throws CycleError if the graph has a cycle.
 */
export function bootOrder(nodes: readonly OrderNode[]): string[] {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    const known = [...new Set(n.dependsOn)].filter((d) => byName.has(d));
    remaining.set(n.name, known.length);
    for (const d of known) dependents.set(d, [...(dependents.get(d) ?? []), n.name]);
  }
  const ready = nodes.filter((n) => remaining.get(n.name) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort(before);
    const next = ready.shift() as OrderNode;
    order.push(next.name);
    for (const d of dependents.get(next.name) ?? []) {
      const left = (remaining.get(d) ?? 0) - 1;
      remaining.set(d, left);
      if (left === 0) ready.push(byName.get(d) as OrderNode);
    }
  }
  if (order.length < nodes.length) {
    const cycle = findCycle(nodes);
    throw new CycleError(cycle ?? nodes.filter((n) => !order.includes(n.name)).map((n) => n.name));
  }
  return order;
}

/** The first dependency cycle as a closed path (`['a', 'b', 'a']`), or undefined. */
export function findCycle(nodes: readonly Pick<OrderNode, 'name' | 'dependsOn'>[]): string[] | undefined {
  const deps = new Map(nodes.map((n) => [n.name, n.dependsOn]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): string[] | undefined => {
    const s = state.get(name);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...stack.slice(stack.indexOf(name)), name];
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of deps.get(name) ?? []) {
      if (!deps.has(d)) continue;
      const found = visit(d);
      if (found) return found;
    }
    stack.pop();
    state.set(name, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const found = visit(n.name);
    if (found) return found;
  }
  return undefined;
}

export class CycleError extends Error {
  constructor(readonly cycle: string[]) {
    super(`dependency cycle: ${cycle.join(' -> ')}`);
    this.name = 'CycleError';
  }
}
