import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { bootOrder, CycleError, findCycle, type OrderNode } from '../src/toposort';

const node = (name: string, dependsOn: string[] = [], priority = 0, seq = 0): OrderNode => ({ name, dependsOn, priority, seq });

describe('bootOrder', () => {
  it('puts dependencies first, then lower priority, then registration order', () => {
    const order = bootOrder([
      node('web', ['db', 'dns'], 0, 0),
      node('db', ['dns'], 20, 1),
      node('dns', [], 10, 2),
      node('ntp', [], 5, 3),
      node('mon', [], 5, 4),
    ]);
    expect(order).toEqual(['ntp', 'mon', 'dns', 'db', 'web']);
  });

  it('ignores dependencies on unregistered names for ordering', () => {
    expect(bootOrder([node('a', ['ghost'], 1, 0), node('b', [], 2, 1)])).toEqual(['a', 'b']);
  });

  it('refuses a cycle and names it', () => {
    expect(() => bootOrder([node('a', ['b']), node('b', ['a']), node('c')])).toThrow(CycleError);
    expect(() => bootOrder([node('a', ['b']), node('b', ['a'])])).toThrow('dependency cycle: a -> b -> a');
    expect(findCycle([node('x', ['x'])])).toEqual(['x', 'x']);
    expect(findCycle([node('a', ['b']), node('b', ['c']), node('c', ['a']), node('d', ['a'])])).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle([node('a', ['b']), node('b')])).toBeUndefined();
  });

  it('is a valid, stable order for any DAG (property)', () => {
    // Edges only point to lower indices, so the graph is acyclic by construction.
    const dag = fc.integer({ min: 1, max: 25 }).chain((n) =>
      fc.tuple(
        fc.array(fc.integer({ min: -3, max: 3 }), { minLength: n, maxLength: n }),
        fc.array(fc.array(fc.nat(), { maxLength: 4 }), { minLength: n, maxLength: n }),
      ),
    );
    fc.assert(
      fc.property(dag, ([prios, raw]) => {
        const nodes = prios.map((p, i) => node(`u${i}`, i === 0 ? [] : (raw[i] ?? []).map((d) => `u${d % i}`), p, i));
        const shuffled = [...nodes].reverse();
        const order = bootOrder(shuffled);
        expect(order).toHaveLength(nodes.length);
        const pos = new Map(order.map((n, i) => [n, i]));
        for (const n of nodes) for (const d of n.dependsOn) expect(pos.get(d)).toBeLessThan(pos.get(n.name) as number);
        // Deterministic regardless of input order.
        expect(bootOrder(nodes)).toEqual(order);
        // Two units with no dependencies at all come out by (priority, seq).
        const free = nodes.filter((n) => n.dependsOn.length === 0);
        const firstFree = free.sort((a, b) => a.priority - b.priority || a.seq - b.seq)[0];
        expect(order[0]).toBe(firstFree?.name);
      }),
    );
  });
});
