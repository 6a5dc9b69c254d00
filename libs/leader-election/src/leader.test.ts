// Leader election between replicas against a real control plane
// (etcd + kube-apiserver from tools/testenv): every claim is checked on the Lease
// read back from the API server, not only on the electors' own flags. Short
// timings (lease 3 s, renew deadline 2 s, retry 0.5 s) keep the file fast.
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { CoordinationV1Api, KubeConfig, type V1Lease, V1MicroTime } from '@kubernetes/client-node';
import { createLogger } from '@mikrotik-kube/service-kit';
import { waitFor } from '@mikrotik-kube/test-support';
import { requireControlPlane, startControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { Counter, Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElector, leaderIdentity } from './leader';

const skip = requireControlPlane();
if (skip) console.warn(`[leader] SKIPPED: ${skip}`);

const NS = 'default';
const TIMING = { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 0.5 };
// LEADER_TEST_LOG=info shows what the electors decided.
const logger = createLogger('leader-test', process.env.LEADER_TEST_LOG ?? 'error');
// client-node hands MicroTime fields back as strings, whatever the type says.
const ms = (t: unknown) => new Date(String(t)).getTime();

interface Candidate {
  id: string;
  elector: LeaderElector;
  registry: Registry;
  started: number[];
  stopped: number[];
}

describe('LeaderElector options', () => {
  it('rejects timings under which a leader could outlive its lease', () => {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'unused', server: 'https://127.0.0.1:1', skipTLSVerify: false }, { name: 'unused' });
    const base = { coordination: kc.makeApiClient(CoordinationV1Api), namespace: NS, name: 'x', identity: 'a', logger, onStartedLeading: () => undefined, onStoppedLeading: () => undefined };
    expect(() => new LeaderElector({ ...base, leaseDurationSeconds: 10, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 })).toThrow(/leaseDurationSeconds \(10\) > renewDeadlineSeconds \(10\)/);
    expect(() => new LeaderElector({ ...base, leaseDurationSeconds: 15, renewDeadlineSeconds: 2, retryPeriodSeconds: 2 })).toThrow(/1.2 × retryPeriodSeconds/);
    expect(() => new LeaderElector({ ...base, ...TIMING, identity: '' })).toThrow(/identity/);
    expect(() => new LeaderElector({ ...base, ...TIMING, leaseDurationSeconds: 2.5 })).toThrow(/whole seconds/);
    expect(() => new LeaderElector({ ...base, ...TIMING, name: '' })).toThrow(/lease name/);
    expect(leaderIdentity()).toMatch(new RegExp(`_${process.pid}_[0-9a-f]{8}$`));
    expect(leaderIdentity()).not.toBe(leaderIdentity());
  });
});

describe('LeaderElector metrics', () => {
  it('one gauge per registry, a series per elector: default name and lease label, or the caller\'s', async () => {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'unused', server: 'https://127.0.0.1:1', skipTLSVerify: false }, { name: 'unused' });
    const base = { coordination: kc.makeApiClient(CoordinationV1Api), namespace: NS, identity: 'a', ...TIMING, logger, onStartedLeading: () => undefined, onStoppedLeading: () => undefined };
    const registry = new Registry();
    new LeaderElector({ ...base, name: 'one', metrics: { registry } });
    new LeaderElector({ ...base, name: 'two', metrics: { registry } });
    new LeaderElector({ ...base, name: 'three', metrics: { registry, name: 'app_leader', labels: { node: 'rb5009' } } });
    const values = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values.map((v) => ({ labels: v.labels, value: v.value }));
    expect(await values('leader_election_leading')).toEqual([
      { labels: { lease: 'one' }, value: 0 },
      { labels: { lease: 'two' }, value: 0 },
    ]);
    expect(await values('app_leader')).toEqual([{ labels: { node: 'rb5009' }, value: 0 }]);
    registry.registerMetric(new Counter({ name: 'taken', help: 'not a gauge', registers: [] }));
    expect(() => new LeaderElector({ ...base, name: 'four', metrics: { registry, name: 'taken' } })).toThrow(/taken exists and is not a gauge/);
  });
});

describe.skipIf(!!skip)(`leader election on a real API server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let coordination: CoordinationV1Api;
  let electors: LeaderElector[] = [];
  let leaseSeq = 0;

  beforeAll(async () => {
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    coordination = kc.makeApiClient(CoordinationV1Api);
  }, 240_000);

  afterAll(async () => {
    await cp?.stop();
  }, 60_000);

  afterEach(async () => {
    await Promise.all(electors.map((e) => e.stop()));
    electors = [];
  });

  const freshLease = () => `leader-test-${process.pid}-${++leaseSeq}`;
  const readLease = (name: string) => coordination.readNamespacedLease({ name, namespace: NS });

  function candidate(name: string, id: string, api: CoordinationV1Api = coordination): Candidate {
    const registry = new Registry();
    const c: Candidate = { id, registry, started: [], stopped: [], elector: undefined as unknown as LeaderElector };
    c.elector = new LeaderElector({
      coordination: api,
      namespace: NS,
      name,
      identity: id,
      ...TIMING,
      logger,
      onStartedLeading: () => void c.started.push(Date.now()),
      onStoppedLeading: () => void c.stopped.push(Date.now()),
      metrics: { registry },
    });
    electors.push(c.elector);
    return c;
  }

  const leaders = (cs: Candidate[]) => cs.filter((c) => c.elector.isLeader);
  const oneLeader = (cs: Candidate[]) => waitFor(() => (leaders(cs).length === 1 ? leaders(cs)[0] : undefined), 15_000, 20);
  const gauge = async (c: Candidate) => (await c.registry.getSingleMetric('leader_election_leading')?.get())?.values[0]?.value;
  const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

  it('three candidates: exactly one leads, the Lease names it, the others stand by', async () => {
    const name = freshLease();
    const cs = ['a', 'b', 'c'].map((x) => candidate(name, `${x}-${leaderIdentity()}`));
    for (const c of cs) c.elector.start();
    const leader = await oneLeader(cs);
    // Several renewals later it is still the one and only leader.
    await sleep(4 * TIMING.retryPeriodSeconds * 1000);
    expect(leaders(cs).map((c) => c.id)).toEqual([leader.id]);

    const lease = await readLease(name);
    expect(lease.spec?.holderIdentity).toBe(leader.id);
    expect(lease.spec?.leaseDurationSeconds).toBe(TIMING.leaseDurationSeconds);
    expect(lease.spec?.leaseTransitions).toBe(0);
    // Renewed while leading: renewTime moves on, acquireTime stays.
    expect(ms(lease.spec?.renewTime)).toBeGreaterThan(ms(lease.spec?.acquireTime));
    await sleep(2 * TIMING.retryPeriodSeconds * 1000);
    const later = await readLease(name);
    expect(ms(later.spec?.renewTime)).toBeGreaterThan(ms(lease.spec?.renewTime));
    expect(String(later.spec?.acquireTime)).toBe(String(lease.spec?.acquireTime));

    for (const c of cs) {
      const isLeader = c === leader;
      expect(c.started.length).toBe(isLeader ? 1 : 0);
      expect(c.stopped).toEqual([]);
      expect(await gauge(c)).toBe(isLeader ? 1 : 0);
      expect(c.elector.readiness()).toEqual(isLeader ? { ok: true, detail: `leader (${c.id})` } : { ok: true, detail: `standby: held by ${leader.id}` });
    }
  }, 60_000);

  it('release(): a standby takes over at once (well before expiry) and leaseTransitions goes up', async () => {
    const name = freshLease();
    const cs = ['a', 'b', 'c'].map((x) => candidate(name, `${x}-${leaderIdentity()}`));
    for (const c of cs) c.elector.start();
    const first = await oneLeader(cs);
    const before = await readLease(name);

    const t0 = Date.now();
    expect(await first.elector.release()).toBe(true);
    const rest = cs.filter((c) => c !== first);
    const second = await oneLeader(rest);
    const takeoverMs = Date.now() - t0;
    console.log(`[leader] takeover after release: ${takeoverMs} ms (retry period ${TIMING.retryPeriodSeconds * 1000} ms)`);

    const after = await readLease(name);
    expect(after.spec?.holderIdentity).toBe(second.id);
    expect(after.spec?.leaseTransitions).toBe((before.spec?.leaseTransitions ?? 0) + 1);
    expect(after.spec?.leaseDurationSeconds).toBe(TIMING.leaseDurationSeconds);
    // Taken from the release, not from expiry: sooner than a lease duration after the last renewal.
    expect(ms(after.spec?.acquireTime) - ms(before.spec?.renewTime)).toBeLessThan(TIMING.leaseDurationSeconds * 1000);
    expect(first.elector.isLeader).toBe(false);
    expect(first.stopped).toEqual([]); // a voluntary release is not a lost leadership
    expect(await gauge(first)).toBe(0);
    expect(leaders(cs)).toEqual([second]);
    // A released lease that is no longer ours is left alone.
    expect(await first.elector.release()).toBe(false);
    expect((await readLease(name)).spec?.holderIdentity).toBe(second.id);
  }, 60_000);

  it('a leader that dies without releasing is replaced only after its lease expired', async () => {
    const name = freshLease();
    const cs = ['a', 'b', 'c'].map((x) => candidate(name, `${x}-${leaderIdentity()}`));
    for (const c of cs) c.elector.start();
    const dead = await oneLeader(cs);
    await dead.elector.stop(); // the crash: no more renewals, the Lease still names it
    const last = await readLease(name);
    expect(last.spec?.holderIdentity).toBe(dead.id);

    const heir = await oneLeader(cs.filter((c) => c !== dead));
    const lease = await readLease(name);
    expect(lease.spec?.holderIdentity).toBe(heir.id);
    expect(lease.spec?.leaseTransitions).toBe((last.spec?.leaseTransitions ?? 0) + 1);
    const waitedMs = ms(lease.spec?.acquireTime) - ms(last.spec?.renewTime);
    console.log(`[leader] takeover after crash: ${waitedMs} ms after the last renewal (lease ${TIMING.leaseDurationSeconds * 1000} ms)`);
    expect(waitedMs).toBeGreaterThanOrEqual(TIMING.leaseDurationSeconds * 1000);
    expect(dead.stopped).toEqual([]);
  }, 60_000);

  it('two candidates racing for a fresh lease never both lead', async () => {
    for (let round = 0; round < 3; round++) {
      const name = freshLease();
      const cs = ['a', 'b'].map((x) => candidate(name, `${x}-${leaderIdentity()}`));
      for (const c of cs) c.elector.start();
      let samples = 0;
      let both = 0;
      let seen = 0;
      const end = Date.now() + 2_000;
      while (Date.now() < end) {
        const n = leaders(cs).length;
        if (n > 1) both++;
        if (n === 1) seen++;
        samples++;
        await new Promise((r) => setImmediate(r));
      }
      expect(both, `round ${round}: both leading in ${both} of ${samples} samples`).toBe(0);
      expect(seen).toBeGreaterThan(0);
      const [leader] = leaders(cs);
      expect((await readLease(name)).spec?.holderIdentity).toBe(leader?.id);
      expect(cs.reduce((n, c) => n + c.started.length, 0)).toBe(1);
      await Promise.all(cs.map((c) => c.elector.stop()));
    }
  }, 60_000);

  it('a leader cut off from the API server stops leading once, before its lease expires for the standby', async () => {
    const name = freshLease();
    const proxy = await tcpProxy(Number(new URL(cp.apiserverUrl).port));
    const cut = new KubeConfig();
    cut.loadFromFile(cp.kubeconfig);
    const cluster = cut.getCurrentCluster();
    if (!cluster) throw new Error('kubeconfig has no current cluster');
    cut.clusters = cut.clusters.map((c) => (c.name === cluster.name ? { ...c, server: `https://127.0.0.1:${proxy.port}` } : c));

    const doomed = candidate(name, `doomed-${leaderIdentity()}`, cut.makeApiClient(CoordinationV1Api));
    doomed.elector.start();
    await waitFor(() => doomed.elector.isLeader, 15_000, 20);
    const standby = candidate(name, `standby-${leaderIdentity()}`);
    standby.elector.start();
    await sleep(3 * TIMING.retryPeriodSeconds * 1000);
    expect(standby.elector.isLeader).toBe(false);

    proxy.close(); // connections reset, new ones refused
    await waitFor(() => doomed.stopped.length === 1, 15_000, 20);
    const last = await readLease(name);
    await waitFor(() => standby.elector.isLeader, 15_000, 20);
    await sleep(3 * TIMING.retryPeriodSeconds * 1000);

    expect(doomed.stopped.length).toBe(1);
    expect(doomed.started.length).toBe(1);
    expect(doomed.elector.isLeader).toBe(false);
    expect(doomed.elector.readiness().ok).toBe(false);
    expect(await gauge(doomed)).toBe(0);
    // Its last renewal is what the Lease still showed when it gave up: it never released.
    expect(last.spec?.holderIdentity).toBe(doomed.id);
    const renewedMs = ms(last.spec?.renewTime);
    const stoppedMs = doomed.stopped[0] ?? 0;
    const standbyStartedMs = standby.started[0] ?? 0;
    console.log(`[leader] cut-off leader stopped ${stoppedMs - renewedMs} ms after its last renewal; standby led ${standbyStartedMs - renewedMs} ms after it`);
    // Timers may fire a millisecond early; the point is "not before the deadline".
    expect(stoppedMs - renewedMs).toBeGreaterThanOrEqual(TIMING.renewDeadlineSeconds * 1000 - 5);
    // The safety property: the old leader had stopped before the standby could start.
    expect(stoppedMs).toBeLessThan(renewedMs + TIMING.leaseDurationSeconds * 1000);
    expect(standbyStartedMs).toBeGreaterThanOrEqual(stoppedMs);
    expect((await readLease(name)).spec?.holderIdentity).toBe(standby.id);
  }, 60_000);

  it('a leader that finds its lease held by someone else stops at once and leaves it alone', async () => {
    const name = freshLease();
    const victim = candidate(name, `victim-${leaderIdentity()}`);
    victim.elector.start();
    await waitFor(() => victim.elector.isLeader, 15_000, 20);

    // Deleted and re-created for another holder, valid for a long while.
    await coordination.deleteNamespacedLease({ name, namespace: NS });
    const now = new V1MicroTime();
    const t0 = Date.now();
    await coordination.createNamespacedLease({
      namespace: NS,
      body: { metadata: { name, namespace: NS }, spec: { holderIdentity: 'intruder', leaseDurationSeconds: 60, acquireTime: now, renewTime: now, leaseTransitions: 7 } },
    });
    await waitFor(() => victim.stopped.length === 1, 15_000, 20);
    const reactedMs = (victim.stopped[0] ?? 0) - t0;
    console.log(`[leader] leader noticed the foreign holder after ${reactedMs} ms`);
    // Noticed at a renewal, not by running out the renew deadline.
    expect(reactedMs).toBeLessThan(TIMING.renewDeadlineSeconds * 1000);
    await sleep(3 * TIMING.retryPeriodSeconds * 1000);
    expect(victim.stopped.length).toBe(1);
    expect(victim.elector.isLeader).toBe(false);
    expect(victim.elector.readiness()).toEqual({ ok: false, detail: `lost leadership of lease ${NS}/${name}: lease taken by intruder` });
    const lease: V1Lease = await readLease(name);
    expect(lease.spec?.holderIdentity).toBe('intruder');
    expect(lease.spec?.leaseTransitions).toBe(7);
    expect(await victim.elector.release()).toBe(false);
    expect((await readLease(name)).spec?.holderIdentity).toBe('intruder');
  }, 60_000);
});

/** A loopback TCP forwarder to the API server; close() resets its connections and stops listening. */
async function tcpProxy(targetPort: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    close() {
      server.close();
      for (const s of sockets) s.destroy();
    },
  };
}
