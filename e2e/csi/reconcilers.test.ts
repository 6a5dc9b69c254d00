// csi-controller's background reconcilers against a real control plane and the RouterOS
// simulator over SSH, csi-controller a real process with second-scale intervals and grace:
//  - orphans: a disk CreateVolume made that no PersistentVolume references is removed (disk and
//    backing file) once the grace period has passed; a disk a PV references, a disk under the
//    volume base without our marker or naming, and a "pvc-" disk outside the volume bases stay;
//  - attachments: a publish record (disk comment) with no VolumeAttachment for that node is
//    cleared after the grace period; one with a VolumeAttachment stays; an attached
//    VolumeAttachment whose volume has no record is reported (log + metric), not "repaired";
//  - an API server that does not answer means no PV list, so nothing is removed (no grace).
// Everything is read back through the router's own view (/rest/disk, backing files) and the
// API server.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, StorageV1Api, type V1VolumeAttachment } from '@kubernetes/client-node';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type csi } from '@mikrotik-kube/proto';
import { RdsClient } from '@mikrotik-kube/rds-ssh';
import { freePort, waitFor } from '@mikrotik-kube/test-support';
import { requireControlPlane, startControlPlane, type ControlPlane } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines, metricValue, SIM_PASSWORD, SIM_USER, startController, startSim, VOLUME_BASE, type ControllerProc, type Sim } from './support/stack';

const skip = requireControlPlane();
if (skip) console.warn(`[csi reconcilers] SKIPPED: ${skip}`);

const DRIVER = 'rds.csi.srvlab.io';
const GRACE_S = 3;
const GiB = 2 ** 30;
const OTHER_BASE = '/storage-pool/other';
const NODE_A = 'node-a';
const NODE_B = 'node-b';
const mountCap: csi.VolumeCapability = { mount: { fs_type: 'ext4', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
const vol = (tag: string) => `pvc-${tag}-${randomUUID().slice(0, 8)}`;
const volumeRequest = (name: string) => ({
  name,
  capacity_range: { required_bytes: GiB },
  volume_capabilities: [mountCap],
  parameters: { volumePath: VOLUME_BASE, nvmeAddress: '127.0.0.1' },
});

type Disk = Record<string, string>;

/** A disk as the router's REST API shows it. */
async function simDisk(sim: Sim, slot: string): Promise<Disk | undefined> {
  const auth = Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64');
  const res = await fetch(`${sim.restUrl}/disk`, { headers: { authorization: `Basic ${auth}` } });
  return ((await res.json()) as Disk[]).find((d) => d['slot'] === slot);
}

describe.skipIf(!!skip)(`csi-controller reconcilers on a real control plane${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  let sim: Sim;
  let controller: ControllerProc;
  let client: InstanceType<ReturnType<typeof contracts.csi>['Controller']>;
  let core: CoreV1Api;
  let storage: StorageV1Api;
  let foreign: RdsClient;
  let dir: string;

  const orphan = vol('orphan');
  const referenced = vol('kept');
  const withVa = vol('va');
  const stale = vol('stale');
  const unrecorded = vol('norecord');
  const created = new Map<string, number>();
  const published = new Map<string, number>();

  const disk = (slot: string) => simDisk(sim, slot);
  const logs = () => logLines(controller.proc);
  const metric = (name: string, labels?: Record<string, string>) => metricValue(controller.opsUrl, name, labels);

  const createPv = (handle: string) =>
    core.createPersistentVolume({
      body: {
        metadata: { name: handle },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          persistentVolumeReclaimPolicy: 'Retain',
          csi: { driver: DRIVER, volumeHandle: handle, fsType: 'ext4' },
        },
      },
    });
  const createVolume = async (name: string) => {
    const t = Date.now();
    const r = await unary(client, 'CreateVolume', volumeRequest(name));
    expect(r.volume?.volume_id).toBe(name);
    created.set(name, t);
  };
  const publish = async (id: string, node: string) => {
    await unary(client, 'ControllerPublishVolume', { volume_id: id, node_id: node, volume_capability: mountCap, readonly: false, volume_context: {} });
    published.set(`${id}/${node}`, Date.now());
  };
  const attach = async (pv: string, node: string): Promise<V1VolumeAttachment> => {
    const va = await storage.createVolumeAttachment({
      body: { metadata: { name: `va-${pv}` }, spec: { attacher: DRIVER, nodeName: node, source: { persistentVolumeName: pv } } },
    });
    // No external-attacher runs here: mark it attached as it would.
    return storage.replaceVolumeAttachmentStatus({ name: `va-${pv}`, body: { ...va, status: { attached: true } } });
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-reconcile-'));
    cp = await startControlPlane();
    sim = await startSim();
    const kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    storage = kc.makeApiClient(StorageV1Api);
    // Nodes with no controller-managed-attach-detach annotation: the attach-detach controller
    // leaves their VolumeAttachments alone.
    for (const name of [NODE_A, NODE_B]) await core.createNode({ body: { metadata: { name } } });

    // A client that is not csi-controller, for disks someone else made on the same RDS.
    foreign = new RdsClient({
      host: '127.0.0.1',
      port: sim.sshPort,
      username: SIM_USER,
      password: SIM_PASSWORD,
      hostKey: { pins: [sim.hostKey] },
      volumeBases: [VOLUME_BASE, OTHER_BASE],
    });
    await foreign.createVolume({ slot: 'backup-target', filePath: `${VOLUME_BASE}/backup-target.img`, sizeBytes: GiB });
    await foreign.createVolume({ slot: 'pvc-elsewhere', filePath: `${OTHER_BASE}/pvc-elsewhere.img`, sizeBytes: GiB });

    controller = await startController(sim, {
      dir,
      args: [
        '--kubeconfig', cp.kubeconfig,
        '--reconcile.orphans.enabled', 'true',
        '--reconcile.orphans.dry-run', 'false',
        '--reconcile.orphans.interval-seconds', '1',
        '--reconcile.orphans.grace-seconds', String(GRACE_S),
        '--reconcile.attachments.interval-seconds', '1',
        '--reconcile.attachments.grace-seconds', String(GRACE_S),
      ],
    });
    client = createClient(contracts.csi().Controller, controller.endpoint, { deadlineMs: 30_000 });

    // PVs first, so the reconcilers never see these disks without one.
    for (const pv of [referenced, withVa, stale, unrecorded]) await createPv(pv);
    for (const v of [orphan, referenced, withVa, stale, unrecorded]) await createVolume(v);
    await publish(withVa, NODE_A);
    await attach(withVa, NODE_A);
    await publish(stale, NODE_B);
    await attach(unrecorded, NODE_A);
  }, 300_000);

  afterAll(async () => {
    client?.close();
    foreign?.close();
    await controller?.stop();
    await sim?.stop();
    await cp?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('uses the kubeconfig and says so', () => {
    expect(logs().find((l) => l['message'] === 'kubernetes client')?.['source']).toBe('kubeconfig');
  });

  it('an orphaned disk is counted at once but removed, with its file, only after the grace period', async () => {
    await waitFor(async () => (await metric('mikrotik_kube_csi_orphan_volumes')) === 1, 10_000, 100);
    expect(await disk(orphan)).toBeDefined(); // seen, not yet due
    await waitFor(async () => !(await disk(orphan)), 20_000, 100);
    expect(Date.now() - (created.get(orphan) ?? 0)).toBeGreaterThanOrEqual(GRACE_S * 1000);
    // `/disk remove`, then `/file remove` of the backing file: two commands.
    await waitFor(() => !sim.volumeFiles().includes(`${orphan}.img`), 10_000, 100);
    await waitFor(() => logs().some((l) => l['message'] === 'orphaned volume deleted'), 10_000, 100);
    expect(logs().find((l) => l['message'] === 'orphaned volume deleted')).toMatchObject({ volume: orphan, file: `${VOLUME_BASE}/${orphan}.img` });
    expect(await metric('mikrotik_kube_csi_orphan_deletions_total', { result: 'deleted' })).toBe(1);
    await waitFor(async () => (await metric('mikrotik_kube_csi_orphan_volumes')) === 0, 5_000, 100);
  }, 40_000);

  it('disks a PV references, foreign disks under the base and "pvc-" disks elsewhere are left alone', async () => {
    // A few more passes (1 s interval) after the orphan went.
    await new Promise((r) => setTimeout(r, 2_500));
    for (const slot of [referenced, withVa, stale, unrecorded, 'backup-target', 'pvc-elsewhere']) expect(await disk(slot), slot).toBeDefined();
    expect(sim.volumeFiles()).toEqual(expect.arrayContaining([`${referenced}.img`, 'backup-target.img']));
    const removed = logs().filter((l) => l['message'] === 'orphaned volume deleted').map((l) => l['volume']);
    expect(removed).toEqual([orphan]);
  }, 20_000);

  it('a publish record with no VolumeAttachment is cleared after the grace period; one with a VolumeAttachment stays', async () => {
    await waitFor(async () => !(await disk(stale))?.['comment']?.includes(`n=${NODE_B}`), 20_000, 100);
    expect(Date.now() - (published.get(`${stale}/${NODE_B}`) ?? 0)).toBeGreaterThanOrEqual(GRACE_S * 1000);
    expect((await disk(stale))?.['comment']).toMatch(/^csi;v=1;t=\d+;m=f$/);
    expect(logs().filter((l) => l['message'] === 'stale publish record cleared')).toEqual([expect.objectContaining({ volume: stale, node: NODE_B })]);
    expect(await metric('mikrotik_kube_csi_attachment_reconcile_total', { action: 'stale-cleared' })).toBe(1);
    expect((await disk(withVa))?.['comment']).toContain(`n=${NODE_A}:w`);
    // The cleared volume can now be published elsewhere (RWO no longer blocked).
    await publish(stale, NODE_A);
    expect((await disk(stale))?.['comment']).toContain(`n=${NODE_A}:w`);
  }, 30_000);

  it('an attached VolumeAttachment whose volume has no publish record is reported, not repaired', async () => {
    await waitFor(async () => ((await metric('mikrotik_kube_csi_attachment_reconcile_total', { action: 'attached-without-record' })) ?? 0) > 0, 10_000, 100);
    const reported = new Set(logs().filter((l) => l['message'] === 'VolumeAttachment is attached but the volume has no publish record').map((l) => l['volume']));
    expect([...reported]).toEqual([unrecorded]);
    expect((await disk(unrecorded))?.['comment']).not.toContain('n=');
    expect((await storage.readVolumeAttachment({ name: `va-${unrecorded}` })).status?.attached).toBe(true);
  }, 20_000);
});

describe('csi-controller orphan reconciler with an API server that does not answer', () => {
  let sim: Sim;
  let controller: ControllerProc;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-reconcile-down-'));
    const kubeconfig = join(dir, 'kubeconfig');
    // A kubeconfig whose server is a closed loopback port: every list fails.
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:${await freePort()}"}}]\n` +
        `users: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`,
    );
    sim = await startSim();
    controller = await startController(sim, {
      dir,
      // No election: with no API server there would be no leader, and the point is what the reconciler itself does.
      args: ['--kubeconfig', kubeconfig, '--reconcile.leader-election.enabled', 'false', '--reconcile.orphans.enabled', 'true', '--reconcile.orphans.dry-run', 'false', '--reconcile.orphans.interval-seconds', '1', '--reconcile.orphans.grace-seconds', '0'],
    });
  }, 120_000);

  afterAll(async () => {
    await controller?.stop();
    await sim?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('keeps a disk no PV could be shown to reference', async () => {
    const client = createClient(contracts.csi().Controller, controller.endpoint, { deadlineMs: 30_000 });
    const id = vol('unknown');
    try {
      await unary(client, 'CreateVolume', volumeRequest(id));
    } finally {
      client.close();
    }
    const failures = () => controller.proc.output().split('\n').filter((l) => l.includes('"message":"orphan reconcile failed"')).length;
    const before = failures();
    await waitFor(() => failures() >= before + 2, 10_000, 100);
    expect(await simDisk(sim, id)).toBeDefined();
    expect(sim.volumeFiles()).toContain(`${id}.img`);
    expect(controller.proc.output()).not.toContain('orphaned volume deleted');
  }, 30_000);
});
