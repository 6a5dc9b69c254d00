// Lease leader election against a real kube-apiserver (tools/testenv control plane).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import { unary } from '@mikrotik-kube/grpc-kit';
import { waitFor } from '@mikrotik-kube/test-support';
import { requireControlPlane, startControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { loadLeaseElector, SoloElector } from '@mikrotik-kube/boot-supervisor';
import { createLogger } from '@mikrotik-kube/service-kit';
import { SimRouter, startSupervisor, unit, type SupervisorProcess } from './harness';

const quiet = createLogger('leader-test', 'error');

describe('SoloElector', () => {
  it('leads at once when there is no cluster', async () => {
    const e = new SoloElector();
    const seen: boolean[] = [];
    await e.start((l) => seen.push(l));
    expect(e.leading).toBe(true);
    expect(seen).toEqual([true]);
  });
});

const skip = requireControlPlane();

describe.skipIf(skip)(`LeaseElector against kube-apiserver${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let LeaseElector: Awaited<ReturnType<typeof loadLeaseElector>>;

  beforeAll(async () => {
    LeaseElector = await loadLeaseElector();
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
  });
  afterAll(async () => {
    await cp?.stop();
  });

  const options = (identity: string) => ({
    kubeConfig: kc,
    namespace: 'default',
    name: 'boot-supervisor-test',
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
    logger: quiet,
  });
  const elector = (identity: string) => new LeaseElector(options(identity));

  it('lets exactly one replica lead and hands over when it stops', async () => {
    const a = elector('replica-a');
    const b = elector('replica-b');
    const changes: string[] = [];
    await a.start((l) => changes.push(`a:${l}`));
    await b.start((l) => changes.push(`b:${l}`));
    await waitFor(() => a.leading || b.leading, 10_000, 50);
    await new Promise((r) => setTimeout(r, 1000));
    expect(a.leading !== b.leading).toBe(true);
    const [leader, standby, standbyName] = a.leading ? [a, b, 'replica-b'] : [b, a, 'replica-a'];

    const api = kc.makeApiClient(CoordinationV1Api);
    const lease = await api.readNamespacedLease({ name: 'boot-supervisor-test', namespace: 'default' });
    expect(lease.spec?.holderIdentity).toBe(a.leading ? 'replica-a' : 'replica-b');

    // Stopping releases the lease: the standby takes over well before the lease would expire.
    const released = Date.now();
    await leader.stop();
    expect(leader.leading).toBe(false);
    await waitFor(() => standby.leading, 10_000, 50);
    expect(Date.now() - released).toBeLessThan(3000);
    const after = await api.readNamespacedLease({ name: 'boot-supervisor-test', namespace: 'default' });
    expect(after.spec?.holderIdentity).toBe(standbyName);
    expect(after.spec?.leaseTransitions).toBeGreaterThanOrEqual(1);
    await standby.stop();
    expect(changes.filter((c) => c.endsWith(':true'))).toHaveLength(2);
  }, 120_000);

  it('a leader deposed by another holder stands down, finishes deactivating, then campaigns again', async () => {
    const name = 'boot-supervisor-deposed';
    const api = kc.makeApiClient(CoordinationV1Api);
    const e = new LeaseElector({ ...options('replica-a'), name });
    const changes: string[] = [];
    let deactivated = 0;
    await e.start(async (l) => {
      changes.push(`${l}`);
      if (l) return;
      await new Promise((r) => setTimeout(r, 2500)); // a deactivation slower than the intruder's lease
      deactivated = Date.now();
    });
    await waitFor(() => e.leading, 10_000, 50);
    // Deleted and re-created for someone else, valid for 1 s from when the elector sees it.
    await api.deleteNamespacedLease({ name, namespace: 'default' });
    const now = new V1MicroTime();
    await api.createNamespacedLease({
      namespace: 'default',
      body: { metadata: { name }, spec: { holderIdentity: 'intruder', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: 4 } },
    });
    await waitFor(() => changes.length === 2, 10_000, 20);
    expect(changes).toEqual(['true', 'false']);
    expect(e.leading).toBe(false);
    await waitFor(() => e.leading, 15_000, 50);
    const lease = await api.readNamespacedLease({ name, namespace: 'default' });
    expect(lease.spec?.holderIdentity).toBe('replica-a');
    expect(lease.spec?.leaseTransitions).toBe(5);
    // Taken back only once the deactivation had finished, though the intruder's lease ran out before.
    expect(deactivated).toBeGreaterThan(0);
    expect(new Date(String(lease.spec?.acquireTime)).getTime()).toBeGreaterThan(deactivated);
    expect(changes).toEqual(['true', 'false', 'true']);
    await e.stop();
    expect(changes).toEqual(['true', 'false', 'true', 'false']);
    expect((await api.readNamespacedLease({ name, namespace: 'default' })).spec?.holderIdentity).toBe('');
  }, 60_000);

  it('fails over between two supervisor processes: the standby takes over and adopts, nothing restarts', async () => {
    const router = await SimRouter.start();
    const dir = mkdtempSync(join(tmpdir(), 'boot-sup-ha-'));
    const procs: SupervisorProcess[] = [];
    try {
      const a = await router.addContainer('ha-a', 80);
      const b = await router.addContainer('ha-b', 81);
      const common = [
        ...['--kubeconfig', cp.kubeconfig, '--leader.lease-name', 'boot-sup-failover', '--state-file', join(dir, 'state.json')],
        // The shortest whole-second timings client-go accepts: lease > renew deadline > 1.2 × retry period.
        ...['--leader.lease-duration-seconds', '3', '--leader.renew-deadline-seconds', '2', '--leader.retry-period-seconds', '1'],
      ];
      procs.push(await startSupervisor(router, [...common, '--leader.identity', 'one']));
      procs.push(await startSupervisor(router, [...common, '--leader.identity', 'two']));
      const leads = async (p: SupervisorProcess) => unary(p.client, 'ListStatus', {}).then(() => true, (e: { code?: number }) => (e.code === status.UNAVAILABLE ? false : Promise.reject(e)));
      const [one, two] = procs as [SupervisorProcess, SupervisorProcess];
      expect([await leads(one), await leads(two)]).toEqual([true, false]);
      expect([await one.readyz(), await two.readyz()]).toEqual([200, 503]);

      await unary(one.client, 'Register', { unit: unit('ha-a', a) });
      await unary(one.client, 'Register', { unit: unit('ha-b', b, ['ha-a']) });
      await waitFor(async () => (await unary(one.client, 'ListStatus', {})).units.every((u) => u.ready), 45_000, 100);
      await router.resetCalls();

      await one.proc.stop('SIGKILL');
      const killed = Date.now();
      await waitFor(() => leads(two), 45_000, 100);
      const tookOverMs = Date.now() - killed;
      await waitFor(async () => (await unary(two.client, 'ListStatus', {})).units.every((u) => u.ready), 45_000, 100);
      const units = (await unary(two.client, 'ListStatus', {})).units;
      expect(units.map((u) => u.name)).toEqual(['ha-a', 'ha-b']);
      expect((await router.calls())['POST container/start'] ?? 0).toBe(0);
      expect(await two.readyz()).toBe(200);
      // Lease of 3 s: the takeover waits for expiry, not longer.
      expect(tookOverMs).toBeLessThan(15_000);
    } finally {
      for (const p of procs) await p.stop('SIGKILL');
      await router.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
