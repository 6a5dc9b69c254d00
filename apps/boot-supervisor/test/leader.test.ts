// Lease leader election against a real kube-apiserver (tools/testenv control plane).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { waitFor } from '@mikrotik-kube/test-support';
import { requireControlPlane, startControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { LeaseElector, SoloElector } from '../src/leader';

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

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

  beforeAll(async () => {
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
  });
  afterAll(async () => {
    await cp?.stop();
  });

  const elector = (identity: string) =>
    new LeaseElector({
      kubeConfig: kc,
      namespace: 'default',
      name: 'boot-supervisor-test',
      identity,
      leaseDurationMs: 3000,
      renewDeadlineMs: 2000,
      retryPeriodMs: 300,
      logger: quiet,
    });

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
  });
});
