// Two csi-controller replicas on one control plane and one RDS (the simulator over SSH): only
// the holder of the reconcile Lease runs the orphan and attachment reconcilers, the other stands
// by (ready, idle); when the leader stops (SIGTERM: reconcilers stopped, Lease released) the
// standby takes over without waiting for the Lease to expire. The orphan reconciler runs in
// dry-run with no grace, so it reports an unreferenced disk on every pass: who reconciles
// shows in each replica's own log, and the Lease is read back from the API server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api, KubeConfig } from '@kubernetes/client-node';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type csi } from '@mikrotik-kube/proto';
import { waitFor } from '@mikrotik-kube/test-support';
import { requireControlPlane, startControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines, metricValue, startController, startSim, VOLUME_BASE, type ControllerProc, type Sim } from './support/stack';

const skip = requireControlPlane();
if (skip) console.warn(`[csi reconcile leader] SKIPPED: ${skip}`);

const LEASE = 'csi-reconcilers-rds-csi-srvlab-io';
const ORPHAN = 'pvc-leader-orphan';
const args = (kubeconfig: string) => [
  '--kubeconfig', kubeconfig,
  '--reconcile.orphans.enabled', 'true',
  '--reconcile.orphans.interval-seconds', '1',
  '--reconcile.orphans.grace-seconds', '0',
  '--reconcile.attachments.interval-seconds', '1',
  // A renew deadline that survives a loaded machine (a leader that cannot renew in time exits);
  // a released Lease is taken within a retry period.
  '--reconcile.leader-election.lease-duration-seconds', '12',
  '--reconcile.leader-election.renew-deadline-seconds', '10',
  '--reconcile.leader-election.retry-period-seconds', '1',
];
/** Dry-run reports of the orphan: one per orphan pass this replica ran. */
const reports = (c: ControllerProc) => logLines(c.proc).filter((l) => l['message'] === 'orphaned volume (dry run, not deleted)' && l['volume'] === ORPHAN).length;
const started = (c: ControllerProc) => logLines(c.proc).some((l) => l['message'] === 'reconcilers started');

describe.skipIf(!!skip)(`two csi-controller replicas${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  let sim: Sim;
  let dir: string;
  let coordination: CoordinationV1Api;
  const replicas: ControllerProc[] = [];
  let leader: ControllerProc;
  let standby: ControllerProc;

  const readLease = () => coordination.readNamespacedLease({ name: LEASE, namespace: 'default' });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-leader-'));
    cp = await startControlPlane();
    sim = await startSim();
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    coordination = kc.makeApiClient(CoordinationV1Api);
    for (const name of ['a', 'b']) replicas.push(await startController(sim, { dir, name, args: args(cp.kubeconfig) }));
    // A disk no PersistentVolume references.
    const client = createClient(contracts.csi().Controller, replicas[0]?.endpoint ?? '', { deadlineMs: 30_000 });
    try {
      const mount: csi.VolumeCapability = { mount: { fs_type: 'ext4', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
      await unary(client, 'CreateVolume', { name: ORPHAN, capacity_range: { required_bytes: 2 ** 30 }, volume_capabilities: [mount], parameters: { volumePath: VOLUME_BASE, nvmeAddress: '127.0.0.1' } });
    } finally {
      client.close();
    }
  }, 300_000);

  afterAll(async () => {
    await Promise.all(replicas.map((c) => c.stop()));
    await sim?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('exactly one replica holds the Lease and reconciles; the other stands by, ready', async () => {
    const leading = async () => {
      const gauges = await Promise.all(replicas.map((c) => metricValue(c.opsUrl, 'mikrotik_kube_csi_reconcile_leader')));
      const ones = replicas.filter((_, i) => gauges[i] === 1);
      return ones.length === 1 && gauges.every((g) => g === 0 || g === 1) ? ones[0] : undefined;
    };
    leader = await waitFor(leading, 15_000, 100);
    standby = replicas.find((c) => c !== leader) as ControllerProc;
    expect((await readLease()).spec?.holderIdentity).toContain(`_${leader.proc.pid}_`);

    await waitFor(() => reports(leader) >= 3, 15_000, 100);
    expect(await leading()).toBe(leader);
    expect(started(standby)).toBe(false);
    expect(reports(standby)).toBe(0);
    expect((await fetch(`${standby.opsUrl}/readyz`)).status).toBe(200);
  }, 60_000);

  it('when the leader stops, the standby takes over from the released Lease and reconciles', async () => {
    expect((await leader.proc.stop()).code).toBe(0);
    expect(logLines(leader.proc).some((l) => l['message'] === 'leader lease released')).toBe(true);
    await waitFor(() => reports(standby) >= 1, 15_000, 100);
    expect(await metricValue(standby.opsUrl, 'mikrotik_kube_csi_reconcile_leader')).toBe(1);
    const lease = await readLease();
    expect(lease.spec?.holderIdentity).toContain(`_${standby.proc.pid}_`);
    expect(lease.spec?.leaseTransitions).toBe(1);
    // The disk is still there: dry-run reports, never deletes.
    expect(sim.volumeFiles()).toContain(`${ORPHAN}.img`);
  }, 30_000);
});
