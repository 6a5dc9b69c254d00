// Several ipam replicas on one router, and a replica killed mid-allocation:
// the router's refusal of duplicate interface names is the only arbiter.
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@mikrotik-kube/test-support';
import { type Ipam, Rig } from './harness';

const NET = { name: 'pods', bridge: 'containers', cidr: '10.20.0.0/22', gateway: '10.20.0.1' };

interface RouterView {
  veths: Array<{ name: string; address: string; comment: string }>;
  portsByInterface: Map<string, number>;
}

async function routerView(rig: Rig): Promise<RouterView> {
  const veths = await rig.tagged();
  const portsByInterface = new Map<string, number>();
  for (const p of await rig.router.bridgePorts.list()) portsByInterface.set(p.interface, (portsByInterface.get(p.interface) ?? 0) + 1);
  return { veths, portsByInterface };
}

/** Every tagged veth has exactly one bridge port and a distinct address; returns owner → address. */
function checkRouter(view: RouterView): Map<string, string> {
  const byOwner = new Map<string, string>();
  const addresses = new Set<string>();
  for (const v of view.veths) {
    expect(view.portsByInterface.get(v.name), `bridge ports of ${v.name}`).toBe(1);
    expect(addresses.has(v.address), `address ${v.address} twice`).toBe(false);
    addresses.add(v.address);
    const owner = decodeURIComponent(/owner=(\S+)/.exec(v.comment)?.[1] ?? '');
    expect(byOwner.has(owner), `owner ${owner} has two veths`).toBe(false);
    byOwner.set(owner, v.address.replace(/\/\d+$/, ''));
  }
  return byOwner;
}

describe('three ipam replicas on one router', () => {
  const rig = new Rig();
  let replicas: Ipam[] = [];

  beforeAll(async () => {
    await rig.startRouter(['containers']);
    const cfg = rig.writeConfig('replica', [NET], { routeros: { timeoutMs: 60_000 } });
    replicas = await Promise.all([0, 1, 2].map(() => rig.startIpam(cfg)));
  });
  afterAll(async () => {
    for (const r of replicas) r.close();
    await rig.close();
  });

  it('hands out no address twice across 500 concurrent allocations', async () => {
    // 450 owners spread over the replicas; 50 of them asked on a second replica at the same time.
    const calls: Array<{ owner: string; replica: number }> = [];
    for (let i = 0; i < 450; i++) calls.push({ owner: `ns-${i % 7}/pod-${i}`, replica: i % 3 });
    for (let i = 0; i < 50; i++) calls.push({ owner: `ns-${i % 7}/pod-${i}`, replica: (i + 1) % 3 });
    const settled = await Promise.allSettled(calls.map(({ owner, replica }) => (replicas[replica] as Ipam).allocate(owner)));
    const failures = settled.flatMap((r, i) => (r.status === 'rejected' ? [`${calls[i]?.owner}: ${(r.reason as Error).message}`] : []));
    expect(failures, failures.slice(0, 5).join('\n')).toEqual([]);
    const answers = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));

    const byOwner = new Map<string, string>();
    const owners = new Map<string, string>();
    answers.forEach((a, i) => {
      const { owner } = calls[i] as { owner: string };
      expect(a.owner).toBe(owner);
      const prev = byOwner.get(owner);
      if (prev !== undefined) expect(a.address, `same owner ${owner}, same answer`).toBe(prev);
      byOwner.set(owner, a.address);
      const holder = owners.get(a.address);
      expect(holder === undefined || holder === owner, `${a.address} given to ${holder} and ${owner}`).toBe(true);
      owners.set(a.address, owner);
    });
    expect(byOwner.size).toBe(450);
    expect(owners.size).toBe(450);

    const onRouter = checkRouter(await routerView(rig));
    expect(onRouter).toEqual(byOwner);
    // Every replica now answers the same for any owner.
    for (const owner of ['ns-0/pod-0', 'ns-3/pod-59', 'ns-1/pod-449']) {
      const got = await Promise.all(replicas.map((r) => r.get(owner)));
      expect(new Set(got.map((g) => g.address)).size).toBe(1);
      expect(got[0]?.address).toBe(byOwner.get(owner));
    }
  }, 300_000);
});

describe('an ipam process killed mid-allocation', () => {
  const rig = new Rig();

  beforeAll(() => rig.startRouter(['containers']));
  afterAll(() => rig.close());

  it('restarts with no lost or duplicated allocation and no orphan veth after Reconcile', async () => {
    const cfg = rig.writeConfig('killed', [NET], { routeros: { timeoutMs: 60_000 } });
    const first = await rig.startIpam(cfg);
    // Slow the router so that many claims are half-way when the process dies.
    await rig.faults({ latencyMs: 4 });
    const owners = Array.from({ length: 120 }, (_, i) => `kill/pod-${i}`);
    const answered = new Map<string, string>();
    const inflight = owners.map((o) =>
      first.allocate(o).then(
        (a) => void answered.set(o, a.address),
        () => undefined,
      ),
    );
    while (answered.size < 30) await new Promise((r) => setTimeout(r, 10));
    first.proc.child.kill('SIGKILL');
    await Promise.all(inflight);
    first.close();
    await rig.faults({ latencyMs: 0 });
    expect(answered.size).toBeLessThan(owners.length); // the kill did interrupt allocations

    const second = await rig.startIpam(cfg);
    // After the restart sync every claim on the router is whole (veth + one bridge port).
    const afterRestart = checkRouter(await routerView(rig));
    for (const [owner, address] of answered) {
      expect(afterRestart.get(owner), `allocation of ${owner} survived`).toBe(address);
      expect((await second.allocate(owner)).address).toBe(address);
    }

    const live = [...answered.keys()];
    const result = await second.reconcile(live);
    expect(result.pending).toEqual([]);
    expect(result.released.sort()).toEqual([...afterRestart.keys()].filter((o) => !answered.has(o)).sort());
    const final = checkRouter(await routerView(rig));
    expect(final).toEqual(answered);
    // Nothing of ours is left without a tag: every mk- veth is a live allocation.
    const ours = (await rig.router.veths.list()).filter((v) => v.name.startsWith('mk-'));
    expect(ours).toHaveLength(answered.size);
    // Released addresses are reusable: the interrupted owners allocate again, all distinct.
    const again = await Promise.all(owners.filter((o) => !answered.has(o)).map((o) => second.allocate(o)));
    expect(new Set([...again.map((a) => a.address), ...answered.values()]).size).toBe(owners.length);
    second.close();
  }, 300_000);
});

describe('one of two ipam replicas killed mid-allocation', () => {
  const rig = new Rig();

  beforeAll(() => rig.startRouter(['containers']));
  afterAll(() => rig.close());

  it('the surviving replica completes the half-finished claims itself, without a restart or a Reconcile', async () => {
    const cfg = rig.writeConfig('survivor', [NET], { routeros: { timeoutMs: 60_000 }, reconcile: { graceSeconds: 0, repairIntervalSeconds: 1 } });
    const [doomed, survivor] = await Promise.all([rig.startIpam(cfg), rig.startIpam(cfg)]);
    await rig.faults({ latencyMs: 4 });
    const owners = Array.from({ length: 120 }, (_, i) => `half/pod-${i}`);
    let answered = 0;
    const inflight = owners.map((o) => (doomed as Ipam).allocate(o).then(() => void answered++, () => undefined));
    while (answered < 30) await new Promise((r) => setTimeout(r, 10));
    doomed?.proc.child.kill('SIGKILL');
    await Promise.all(inflight);
    doomed?.close();
    await rig.faults({ latencyMs: 0 });
    const half = async () => {
      const view = await routerView(rig);
      return view.veths.filter((v) => view.portsByInterface.get(v.name) !== 1).map((v) => v.name);
    };
    expect((await half()).length, 'the kill left claims half-made').toBeGreaterThan(0);
    // Bounded: a few repair periods of the survivor.
    await waitFor(async () => (await half()).length === 0, 30_000, 250);
    checkRouter(await routerView(rig));
    survivor?.close();
  }, 120_000);
});

describe('Release racing Allocate for one owner on two replicas', () => {
  const rig = new Rig();
  let a: Ipam;
  let b: Ipam;
  beforeAll(async () => {
    await rig.startRouter(['containers']);
    const cfg = rig.writeConfig('race', [NET], { reconcile: { graceSeconds: 0, repairIntervalSeconds: 0 } });
    [a, b] = await Promise.all([rig.startIpam(cfg), rig.startIpam(cfg)]);
    await rig.faults({ latencyMs: 3 });
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await rig.close();
  });

  it('ends each call with OK or ABORTED (retryable), never FAILED_PRECONDITION, and the router whole', async () => {
    const codes = new Map<string, number>();
    const codeOf = (p: Promise<unknown>) => p.then(() => status.OK, (e: { code: number }) => e.code);
    for (let i = 0; i < 40; i++) {
      const owner = `race/pod-${i}`;
      const alloc = codeOf(a.allocate(owner));
      // Staggered so the Release lands at every point of the claim (veth added, port not yet).
      await new Promise((r) => setTimeout(r, i % 20));
      const rel = codeOf(b.release(owner));
      for (const c of await Promise.all([alloc, rel])) codes.set(status[c] ?? String(c), (codes.get(status[c] ?? String(c)) ?? 0) + 1);
    }
    expect([...codes.keys()].filter((c) => c !== 'OK' && c !== 'ABORTED'), JSON.stringify(Object.fromEntries(codes))).toEqual([]);
    // An ABORTED Allocate left nothing half-made behind that a later call could trip over.
    await rig.faults({ latencyMs: 0 });
    await b.reconcile([]);
    checkRouter(await routerView(rig));
  }, 120_000);
});
