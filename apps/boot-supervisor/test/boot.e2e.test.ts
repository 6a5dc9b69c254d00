// The boot sequence for real: a simulator process whose containers answer HTTP
// on 127.x addresses, a boot-supervisor process, gRPC in between.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { unary } from '@mikrotik-kube/grpc-kit';
import { waitFor } from '@mikrotik-kube/test-support';
import { record, SimRouter, startSupervisor, unit, type Seen, type SupervisorProcess, SIX_UNIT_GRAPH } from './harness';


/**
 * Position in the Watch stream (which the server writes in order) of each
 * unit's first ready status and first start. Stream order is the server's
 * order; client receive times would add delivery latency.
 */
function timeline(events: Seen[]) {
  const ready = new Map<string, number>();
  const started = new Map<string, number>();
  events.forEach((e, i) => {
    if (e.ready && !ready.has(e.name)) ready.set(e.name, i);
    if (e.started_ms && !started.has(e.name)) started.set(e.name, i);
  });
  return { ready, started };
}

/** Every unit started only after each dependency had been reported ready. */
function expectValidOrder(events: Seen[]) {
  const { ready, started } = timeline(events);
  for (const [name, deps] of SIX_UNIT_GRAPH) {
    expect(started.get(name), `${name} started`).toBeDefined();
    for (const d of deps) {
      expect(ready.get(d), `${d} ready`).toBeDefined();
      expect(started.get(name) as number, `${name} started after ${d} was ready`).toBeGreaterThan(ready.get(d) as number);
    }
  }
  return { ready, started };
}

describe('boot order against the simulator', () => {
  let router: SimRouter;
  let sup: SupervisorProcess;
  const addr = new Map<string, string>();

  beforeAll(async () => {
    router = await SimRouter.start();
    let n = 10;
    for (const [name] of SIX_UNIT_GRAPH) addr.set(name, await router.addContainer(name, n++, name === 'dns' ? 503 : 200));
    await router.resetCalls();
    sup = await startSupervisor(router, ['--systemd.max-parallel-starts', '2']);
  });
  afterAll(async () => {
    await sup?.stop();
    await router?.stop();
  });

  it('boots a 6-unit graph in dependency order, holding dependents back while dns is not ready', async () => {
    const { events, call } = record(sup.client);
    for (const [name, deps, prio] of SIX_UNIT_GRAPH) await unary(sup.client, 'Register', { unit: unit(name, addr.get(name) as string, deps, prio) });

    // dns answers 503: it runs but is not ready, so db and cache stay pending.
    await waitFor(async () => (await unary(sup.client, 'GetStatus', { name: 'dns' })).state === 'UNIT_STATE_RUNNING');
    await new Promise((r) => setTimeout(r, 2500));
    const held = await unary(sup.client, 'GetStatus', { name: 'db' });
    expect(held).toMatchObject({ state: 'UNIT_STATE_PENDING', reason: 'WaitingForDependencies' });
    expect(held.message).toContain('dns (RUNNING, not ready)');
    expect(await router.state('db')).toBe('stopped');
    expect(await router.state('cache')).toBe('stopped');

    await router.listen('dns', 200);
    await waitFor(async () => (await unary(sup.client, 'ListStatus', {})).units.every((u) => u.ready), 45_000, 200);
    call.cancel();

    const { ready, started } = expectValidOrder(events);
    expect(started.get('db') as number).toBeGreaterThan(ready.get('dns') as number);
    // Boot order is reported: dependencies first, ties by priority.
    const list = (await unary(sup.client, 'ListStatus', {})).units;
    expect(list.map((u) => u.name)).toEqual(['ntp', 'dns', 'cache', 'db', 'api', 'web']);
    expect(list.map((u) => u.boot_index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const [name] of SIX_UNIT_GRAPH) expect(await router.state(name)).toBe('running');
    // Each container was started exactly once.
    expect((await router.calls())['POST container/start']).toBe(6);
  }, 120_000);

  it('refuses a cycle, names it, and changes nothing', async () => {
    await unary(sup.client, 'Register', { unit: unit('x', '127.0.90.2', ['y']) });
    const err = await unary(sup.client, 'Register', { unit: unit('y', '127.0.91.2', ['x']) }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.FAILED_PRECONDITION });
    expect((err as Error).message).toContain('x -> y -> x');
    await expect(unary(sup.client, 'GetStatus', { name: 'y' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    // An unknown dependency keeps the unit pending with a reason until it is registered.
    expect(await unary(sup.client, 'GetStatus', { name: 'x' })).toMatchObject({ state: 'UNIT_STATE_PENDING', reason: 'DependencyUnknown' });
    expect(await unary(sup.client, 'Unregister', { name: 'x' })).toEqual({ removed: true });
    expect(await unary(sup.client, 'Unregister', { name: 'x' })).toEqual({ removed: false });
  }, 120_000);

  it('rejects bad specs with INVALID_ARGUMENT and registers nothing', async () => {
    const bad = [
      unit('bad name!', '127.0.92.2'),
      unit('ok', '127.0.92.2', ['ok']),
      unit('ok', 'not-an-ip'),
      unit('ok', '127.0.92.2', [], 0, { container: 'a b;rm -rf /' }),
      unit('ok', '127.0.92.2', [], 0, { liveness_probe: { tcp_socket: { port: 0 } } }),
      unit('ok', '127.0.92.2', [], 0, { liveness_probe: { tcp_socket: { port: 80 }, success_threshold: 2 } }),
      unit('ok', '', [], 0, { address: '' }),
      unit('ok', '127.0.92.2', [], 0, { readiness_probe: { http_get: { port: 80, headers: [{ name: 'X', value: 'a\r\nb' }] } } }),
      unit('ok', '127.0.92.2', [], 0, { startup_probe: { period_seconds: 1 } }),
    ];
    for (const u of bad) {
      await expect(unary(sup.client, 'Register', { unit: u }), JSON.stringify(u)).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
    await expect(unary(sup.client, 'GetStatus', { name: 'ok' })).rejects.toMatchObject({ code: status.NOT_FOUND });
  }, 120_000);
});

describe('strictly sequential boot (one start slot)', () => {
  let router: SimRouter;
  let sup: SupervisorProcess;

  beforeAll(async () => {
    router = await SimRouter.start();
    sup = await startSupervisor(router, ['--systemd.max-parallel-starts', '1']);
  });
  afterAll(async () => {
    await router?.stop();
  });

  it('starts each unit only after the one started before it is ready, and stops cleanly on SIGTERM', async () => {
    const { events, call } = record(sup.client);
    let n = 20;
    // Registered in reverse: the order comes from the graph, not from arrival.
    for (const [name, deps, prio] of [...SIX_UNIT_GRAPH].reverse()) {
      const address = await router.addContainer(name, n++);
      await unary(sup.client, 'Register', { unit: unit(name, address, deps, prio) });
    }
    await waitFor(async () => (await unary(sup.client, 'ListStatus', {})).units.every((u) => u.ready), 45_000, 200);
    call.cancel();
    const order = (await unary(sup.client, 'ListStatus', {})).units.map((u) => u.name);
    expect(order).toEqual(['ntp', 'dns', 'cache', 'db', 'api', 'web']);
    const { ready, started } = expectValidOrder(events);
    // One slot: every start waits until the unit started before it is ready.
    const byStart = [...started.entries()].sort((a, b) => a[1] - b[1]).map(([name]) => name);
    expect(byStart).toHaveLength(6);
    for (let i = 1; i < byStart.length; i++) {
      expect(started.get(byStart[i] as string) as number).toBeGreaterThan(ready.get(byStart[i - 1] as string) as number);
    }
    expect(await sup.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    // Stopping the supervisor leaves the containers running.
    for (const name of order) expect(await router.state(name)).toBe('running');
  }, 120_000);
});
