// Snapshots as btrfs snapshots. The simulator's storage pool is a real loop btrfs, csi-controller
// (target btrfsSubvolumes on) a real process over SSH:
//  - through the CSI gRPC service: a volume is a disk over an image alone in a btrfs subvolume of
//    its own; CreateSnapshot makes a read-only btrfs snapshot of it (the bytes written before,
//    not those after); a volume restored from it (bigger) is a writable snapshot of the snapshot;
//    a volume that is a plain file (made before, or by the upstream driver) is snapshotted by
//    `copy-from`; deleting removes disks and subvolumes;
//  - through Kubernetes: the real csi-provisioner, csi-snapshotter and snapshot-controller on a
//    real control plane: PVC → VolumeSnapshot (readyToUse) → a new PVC from it, Bound, whose
//    disk holds the snapshot's bytes.
// What is on the router is read through its REST API, what is on btrfs from the host.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, statfsSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type csi } from '@mikrotik-kube/proto';
import { waitFor } from '@mikrotik-kube/test-support';
import { requireControlPlane, requireTestPeers, snapshotCrdDir, startControlPlane, testenvBin, type ControlPlane } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBtrfs, SIM_PASSWORD, SIM_USER, startController, startSim, stopStack, VOLUME_BASE, type ControllerProc, type Sim } from './support/stack';

const GiB = 2 ** 30;
const POOL_BYTES = 2 * GiB;
const BTRFS_MAGIC = 0x9123683e;
const btrfsSkip = requireBtrfs();
const k8sSkip = btrfsSkip ?? requireControlPlane() ?? requireTestPeers('csi-provisioner', 'csi-snapshotter', 'snapshot-controller', 'kubectl') ?? (snapshotCrdDir() ? undefined : 'VolumeSnapshot CRDs missing (make testenv copies them)');
const blockCap: csi.VolumeCapability = { block: {}, access_mode: { mode: 'SINGLE_NODE_WRITER' } };

type Row = Record<string, string>;

async function rest(sim: Sim, path: string): Promise<Row[]> {
  const auth = Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64');
  return (await (await fetch(`${sim.restUrl}${path}`, { headers: { authorization: `Basic ${auth}` } })).json()) as Row[];
}
const disk = async (sim: Sim, slot: string) => (await rest(sim, '/disk')).find((d) => d['slot'] === slot);
const subvolume = async (sim: Sim, name: string) => (await rest(sim, '/disk/btrfs/subvolume')).find((s) => s['name'] === name);
/** Where the router's file `/storage-pool/…` is on the host. */
const hostPath = (sim: Sim, file: string) => join(sim.dataDir, 'files', file);
/** A real btrfs subvolume root (inode 256 on btrfs). */
const isSubvolume = (dir: string) => existsSync(dir) && statfsSync(dir).type === BTRFS_MAGIC && statSync(dir).ino === 256;
const readOnly = (dir: string) => spawnSync('btrfs', ['property', 'get', '-ts', dir, 'ro'], { encoding: 'utf8' }).stdout.trim();

function writeAt(file: string, offset: number, text: string): void {
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from(text), 0, text.length, offset);
  closeSync(fd);
}
function readAt(file: string, offset: number, length: number): string {
  const fd = openSync(file, 'r');
  const b = Buffer.alloc(length);
  readSync(fd, b, 0, length, offset);
  closeSync(fd);
  return b.toString();
}

describe.skipIf(!!btrfsSkip)(`btrfs snapshots through csi-controller's gRPC service${btrfsSkip ? ` (skipped: ${btrfsSkip})` : ''}`, () => {
  let sim: Sim;
  let controller: ControllerProc;
  let client: InstanceType<ReturnType<typeof contracts.csi>['Controller']>;
  let dir: string;
  const create = (name: string, bytes: number, source?: csi.VolumeContentSource) =>
    unary(client, 'CreateVolume', {
      name,
      capacity_range: { required_bytes: bytes },
      volume_capabilities: [blockCap],
      parameters: { volumePath: VOLUME_BASE, nvmeAddress: '127.0.0.1' },
      ...(source ? { volume_content_source: source } : {}),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-snap-'));
    sim = await startSim({ btrfsPool: POOL_BYTES });
    controller = await startController(sim, { dir, args: ['--rds.btrfs-subvolumes', 'true'] });
    client = createClient(contracts.csi().Controller, controller.endpoint, { deadlineMs: 60_000 });
  }, 120_000);
  afterAll(() => stopStack({ client, controller, sims: [sim], dir }));

  let snapId = '';

  it('a volume is a disk over an image alone in a btrfs subvolume; its snapshot is a read-only btrfs snapshot', async () => {
    const v = (await create('pvc-src', GiB)).volume;
    expect(v?.volume_id).toBe('pvc-src');
    const d = await disk(sim, 'pvc-src');
    expect(d?.['file-path']).toBe(`${VOLUME_BASE}/pvc-src/disk.img`);
    expect(d?.['nvme-tcp-export']).toBe('true');
    expect(isSubvolume(hostPath(sim, `${VOLUME_BASE}/pvc-src`))).toBe(true);
    expect(await subvolume(sim, 'metal-csi/pvc-src')).toBeDefined();
    const image = hostPath(sim, `${VOLUME_BASE}/pvc-src/disk.img`);
    writeAt(image, 4096, 'before the snapshot');

    const snap = (await unary(client, 'CreateSnapshot', { name: 'snapshot-1', source_volume_id: 'pvc-src' })).snapshot;
    snapId = snap?.snapshot_id ?? '';
    expect(snap).toMatchObject({ source_volume_id: 'pvc-src', size_bytes: GiB, ready_to_use: true });
    writeAt(image, 4096, 'after the snapshot!');

    const sd = await disk(sim, snapId);
    expect(sd?.['file-path']).toBe(`${VOLUME_BASE}/${snapId}/disk.img`);
    expect(sd?.['nvme-tcp-export']).toBe('false');
    const snapDir = hostPath(sim, `${VOLUME_BASE}/${snapId}`);
    expect(isSubvolume(snapDir)).toBe(true);
    expect(readOnly(snapDir)).toBe('ro=true');
    expect((await subvolume(sim, `metal-csi/${snapId}`))?.['read-only']).toBe('true');
    expect(readAt(join(snapDir, 'disk.img'), 4096, 19)).toBe('before the snapshot');
    // Idempotent by name.
    expect((await unary(client, 'CreateSnapshot', { name: 'snapshot-1', source_volume_id: 'pvc-src' })).snapshot?.snapshot_id).toBe(snapId);
  }, 60_000);

  it('a volume restored from the snapshot is a writable btrfs snapshot of it, grown to the size asked', async () => {
    const v = (await create('pvc-restored', 2 * GiB, { snapshot: { snapshot_id: snapId } })).volume;
    expect(v).toMatchObject({ volume_id: 'pvc-restored', capacity_bytes: 2 * GiB });
    const d = await disk(sim, 'pvc-restored');
    expect(d?.['file-path']).toBe(`${VOLUME_BASE}/pvc-restored/disk.img`);
    expect(d?.['nvme-tcp-export']).toBe('true');
    const restored = hostPath(sim, `${VOLUME_BASE}/pvc-restored`);
    expect(isSubvolume(restored)).toBe(true);
    expect(readOnly(restored)).toBe('ro=false');
    expect(statSync(join(restored, 'disk.img')).size).toBe(2 * GiB);
    expect(readAt(join(restored, 'disk.img'), 4096, 19)).toBe('before the snapshot');
  }, 60_000);

  it('a volume that is a plain file is snapshotted with copy-from', async () => {
    // What the upstream driver (or this one before btrfsSubvolumes) made: a plain image in the base.
    const auth = Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64');
    const put = await fetch(`${sim.restUrl}/disk`, {
      method: 'PUT',
      headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', slot: 'pvc-plain', 'file-path': `${VOLUME_BASE}/pvc-plain.img`, 'file-size': '64M', 'nvme-tcp-export': 'yes', comment: 'csi;v=1;m=b' }),
    });
    expect(put.status).toBe(201);
    writeAt(hostPath(sim, `${VOLUME_BASE}/pvc-plain.img`), 0, 'plain data');
    const snap = (await unary(client, 'CreateSnapshot', { name: 'snapshot-plain', source_volume_id: 'pvc-plain' })).snapshot;
    const id = snap?.snapshot_id ?? '';
    expect((await disk(sim, id))?.['file-path']).toBe(`${VOLUME_BASE}/${id}.img`);
    expect(await subvolume(sim, `metal-csi/${id}`)).toBeUndefined();
    expect(readAt(hostPath(sim, `${VOLUME_BASE}/${id}.img`), 0, 10)).toBe('plain data');
    await unary(client, 'DeleteSnapshot', { snapshot_id: id });
    expect(existsSync(hostPath(sim, `${VOLUME_BASE}/${id}.img`))).toBe(false);
  }, 60_000);

  it('deleting snapshots and volumes removes their disks and subvolumes', async () => {
    await unary(client, 'DeleteSnapshot', { snapshot_id: snapId });
    await unary(client, 'DeleteVolume', { volume_id: 'pvc-restored' });
    await unary(client, 'DeleteVolume', { volume_id: 'pvc-src' });
    for (const slot of [snapId, 'pvc-restored', 'pvc-src']) {
      expect(await disk(sim, slot)).toBeUndefined();
      expect(await subvolume(sim, `metal-csi/${slot}`)).toBeUndefined();
      expect(existsSync(hostPath(sim, `${VOLUME_BASE}/${slot}`))).toBe(false);
    }
    // Idempotent.
    await unary(client, 'DeleteSnapshot', { snapshot_id: snapId });
    await unary(client, 'DeleteVolume', { volume_id: 'pvc-src' });
  }, 60_000);
});

const manifests = `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: rds-nvme-tcp
provisioner: rds.csi.srvlab.io
parameters:
  nvmeAddress: "127.0.0.1"
  volumePath: ${VOLUME_BASE}
reclaimPolicy: Delete
volumeBindingMode: Immediate
---
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshotClass
metadata:
  name: rds-snapshots
driver: rds.csi.srvlab.io
deletionPolicy: Delete
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: default
spec:
  accessModes: [ReadWriteOnce]
  volumeMode: Block
  storageClassName: rds-nvme-tcp
  resources:
    requests:
      storage: 1Gi
`;

const snapshotManifest = `
apiVersion: snapshot.storage.k8s.io/v1
kind: VolumeSnapshot
metadata:
  name: data-snap
  namespace: default
spec:
  volumeSnapshotClassName: rds-snapshots
  source:
    persistentVolumeClaimName: data
`;

const restoreManifest = `
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data-restored
  namespace: default
spec:
  accessModes: [ReadWriteOnce]
  volumeMode: Block
  storageClassName: rds-nvme-tcp
  dataSource:
    apiGroup: snapshot.storage.k8s.io
    kind: VolumeSnapshot
    name: data-snap
  resources:
    requests:
      storage: 1Gi
`;

describe.skipIf(!!k8sSkip)(`VolumeSnapshot → restored PVC with the real csi-snapshotter and snapshot-controller${k8sSkip ? ` (skipped: ${k8sSkip})` : ''}`, () => {
  let cp: ControlPlane;
  let sim: Sim;
  let controller: ControllerProc;
  let dir: string;
  const peers: ChildProcess[] = [];
  const kubectl = (args: string[], input?: string) => cp.kubectl(args, input);
  const get = (what: string, path: string) => {
    try {
      return kubectl(['get', ...what.split(' '), '-o', `jsonpath=${path}`]);
    } catch {
      return '';
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-snap-k8s-'));
    cp = await startControlPlane();
    sim = await startSim({ btrfsPool: POOL_BYTES });
    controller = await startController(sim, { dir, args: ['--kubeconfig', cp.kubeconfig, '--rds.btrfs-subvolumes', 'true'] });
    kubectl(['apply', '-f', snapshotCrdDir() as string]);
    for (const crd of ['volumesnapshots', 'volumesnapshotcontents', 'volumesnapshotclasses']) {
      kubectl(['wait', '--for=condition=Established', `crd/${crd}.snapshot.storage.k8s.io`, '--timeout=60s']);
    }
    const common = [`--kubeconfig=${cp.kubeconfig}`, '--leader-election=false', '-v=2'];
    const sidecar = ['--csi-address', controller.socketPath, '--timeout=60s'];
    for (const [bin, args] of [
      ['csi-provisioner', [...sidecar, ...common]],
      ['csi-snapshotter', [...sidecar, ...common]],
      ['snapshot-controller', common],
    ] as const) {
      peers.push(spawn(testenvBin(bin) as string, [...args], { stdio: ['ignore', 'ignore', 'ignore'] }));
    }
  }, 300_000);

  afterAll(async () => {
    for (const p of peers) p.kill('SIGTERM');
    await controller?.stop();
    await sim?.stop();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('PVC → VolumeSnapshot → a new PVC from it holds the bytes of the snapshot', async () => {
    kubectl(['apply', '-f', '-'], manifests);
    await waitFor(() => get('pvc data', '{.status.phase}') === 'Bound', 120_000, 500);
    const handle = get(`pv ${get('pvc data', '{.spec.volumeName}')}`, '{.spec.csi.volumeHandle}');
    const image = hostPath(sim, `${VOLUME_BASE}/${handle}/disk.img`);
    writeAt(image, 8192, 'written by the pod');

    kubectl(['apply', '-f', '-'], snapshotManifest);
    await waitFor(() => get('volumesnapshot data-snap', '{.status.readyToUse}') === 'true', 120_000, 500);
    const content = get('volumesnapshot data-snap', '{.status.boundVolumeSnapshotContentName}');
    const snapHandle = get(`volumesnapshotcontent ${content}`, '{.status.snapshotHandle}');
    expect(snapHandle).toMatch(/^snap-/);
    expect(readOnly(hostPath(sim, `${VOLUME_BASE}/${snapHandle}`))).toBe('ro=true');
    writeAt(image, 8192, 'written afterwards!');

    kubectl(['apply', '-f', '-'], restoreManifest);
    await waitFor(() => get('pvc data-restored', '{.status.phase}') === 'Bound', 120_000, 500);
    const restored = get(`pv ${get('pvc data-restored', '{.spec.volumeName}')}`, '{.spec.csi.volumeHandle}');
    expect(restored).not.toBe(handle);
    const d = await disk(sim, restored);
    expect(d?.['nvme-tcp-export']).toBe('true');
    expect(isSubvolume(hostPath(sim, `${VOLUME_BASE}/${restored}`))).toBe(true);
    expect(readAt(hostPath(sim, `${VOLUME_BASE}/${restored}/disk.img`), 8192, 18)).toBe('written by the pod');

    // Deleting the snapshot and the claims removes the snapshot and both volumes from the router.
    // (A subvolume goes right after its disk, so the wait is for both.)
    const gone = async (slot: string) => !(await disk(sim, slot)) && !existsSync(hostPath(sim, `${VOLUME_BASE}/${slot}`));
    kubectl(['delete', 'pvc', 'data-restored', '--wait=false']);
    kubectl(['delete', 'volumesnapshot', 'data-snap', '--wait=false']);
    await waitFor(async () => (await gone(snapHandle)) && (await gone(restored)), 120_000, 500);
    kubectl(['delete', 'pvc', 'data', '--wait=false']);
    await waitFor(() => gone(handle), 120_000, 500);
    expect(await subvolume(sim, `metal-csi/${handle}`)).toBeUndefined();
  }, 600_000);
});
