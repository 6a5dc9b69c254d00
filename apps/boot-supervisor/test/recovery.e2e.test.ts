// kill -9 of the supervisor in the middle of a boot: the next process rebuilds
// its state from the state file and the router, resumes the sequence, and
// starts nothing twice or out of order.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unary } from '@mikrotik-kube/grpc-kit';
import { waitFor } from '@mikrotik-kube/test-support';
import { record, SimRouter, startSupervisor, unit, type Seen, type SupervisorProcess, SIX_UNIT_GRAPH } from './harness';


describe('supervisor crash recovery', () => {
  let router: SimRouter;
  let dir: string;
  const procs: SupervisorProcess[] = [];
  const addr = new Map<string, string>();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'boot-sup-state-'));
    router = await SimRouter.start();
    let n = 60;
    // db runs but is slow to become ready: the boot stops in the middle.
    for (const [name] of SIX_UNIT_GRAPH) addr.set(name, await router.addContainer(name, n++, name === 'db' ? 503 : 200));
    await router.resetCalls();
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await router?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = async () => {
    const p = await startSupervisor(router, ['--state-file', join(dir, 'state.json'), '--systemd.max-parallel-starts', '2']);
    procs.push(p);
    return p;
  };

  it('resumes the boot sequence after kill -9 without starting anything twice', async () => {
    const first = await start();
    const w1 = record(first.client);
    for (const [name, deps, prio] of SIX_UNIT_GRAPH) await unary(first.client, 'Register', { unit: unit(name, addr.get(name) as string, deps, prio) });
    await waitFor(async () => {
      const units = (await unary(first.client, 'ListStatus', {})).units;
      const by = new Map(units.map((u) => [u.name, u]));
      return by.get('cache')?.ready && by.get('db')?.state === 'UNIT_STATE_RUNNING';
    }, 45_000, 50);
    const before = (await unary(first.client, 'ListStatus', {})).units;
    expect(before.find((u) => u.name === 'api')).toMatchObject({ state: 'UNIT_STATE_PENDING', reason: 'WaitingForDependencies' });
    await first.proc.stop('SIGKILL');
    expect(first.proc.child.signalCode).toBe('SIGKILL');
    // The state file is whole (written atomically) and lists every unit.
    const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { units: Array<{ spec: { name: string } }> };
    expect(saved.units.map((u) => u.spec.name).sort()).toEqual(SIX_UNIT_GRAPH.map(([n]) => n).sort());
    const startsBefore = (await router.calls())['POST container/start'];
    expect(startsBefore).toBe(4);

    // A new process, nobody registers anything: the units come from the state file, the
    // running containers are adopted, and the rest boot once db is ready.
    const second = await start();
    const w2 = record(second.client);
    await waitFor(async () => (await unary(second.client, 'ListStatus', {})).units.length === 6, 10_000, 50);
    await router.listen('db', 200);
    await waitFor(async () => (await unary(second.client, 'ListStatus', {})).units.every((u) => u.ready), 45_000, 100);
    w1.call.cancel();
    w2.call.cancel();

    expect((await router.calls())['POST container/start']).toBe(6);
    // The new process took over what ran and started only the rest.
    const logged = (msg: string) =>
      second.proc
        .output()
        .split('\n')
        .filter((l) => l.includes(`"message":"${msg}"`))
        .map((l) => (JSON.parse(l) as { unit: string }).unit)
        .sort();
    expect(logged('unit adopted')).toEqual(['cache', 'db', 'dns', 'ntp']);
    expect(logged('unit started')).toEqual(['api', 'web']);
    // Order across both processes (the first stream ended before the second began, and each is
    // written in the server's order): each unit started after its dependencies were ready.
    const events: Seen[] = [...w1.events, ...w2.events];
    const ready = new Map<string, number>();
    const started = new Map<string, number>();
    events.forEach((e, i) => {
      if (e.ready && !ready.has(e.name)) ready.set(e.name, i);
      if (e.started_ms && !started.has(e.name)) started.set(e.name, i);
    });
    for (const [name, deps] of SIX_UNIT_GRAPH) {
      for (const d of deps) expect(started.get(name) as number, `${name} after ${d}`).toBeGreaterThan(ready.get(d) as number);
    }
    for (const u of (await unary(second.client, 'ListStatus', {})).units) expect(u.restart_count).toBe(0);
  }, 120_000);
});
