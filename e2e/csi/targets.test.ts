// One csi-controller, two simulated RDS boxes (both SSH on 127.0.0.1, told apart by port, with
// storage addresses 127.0.0.2 and 127.0.0.3): the StorageClass chooses the box (`rdsTarget`, or
// the upstream `rdsAddress` + `sshPort`), the disk is made there and nowhere else, the volume
// context sends nodes to that box's storage address, and the volume id carries the target so
// Expand, Publish, snapshots and Delete reach the same box. Unknown targets are INVALID_ARGUMENT.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, status, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type csi } from '@mikrotik-kube/proto';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_PASSWORD, SIM_USER, startController, startSim, stopStack, VOLUME_BASE, type ControllerProc, type Sim } from './support/stack';

const GiB = 2 ** 30;
const mountCap: csi.VolumeCapability = { mount: { fs_type: 'ext4', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
const create = (name: string, parameters: Record<string, string>) => ({ name, capacity_range: { required_bytes: GiB }, volume_capabilities: [mountCap], parameters: { volumePath: VOLUME_BASE, ...parameters } });

describe('one csi-controller serving two RDS targets', () => {
  let a: Sim;
  let b: Sim;
  let controller: ControllerProc;
  let client: InstanceType<ReturnType<typeof contracts.csi>['Controller']>;
  let dir: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- one helper for every Controller RPC
  const call = <T = Record<string, unknown>>(method: string, req: object) => unary(client as any, method, req) as Promise<T>;
  const slots = async (sim: Sim) => {
    const res = await fetch(`${sim.restUrl}/disk`, { headers: { authorization: `Basic ${Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64')}` } });
    // Our disks only (the simulated box also lists its own system disks).
    return ((await res.json()) as Array<Record<string, string>>).map((d) => d['slot'] ?? '').filter((s) => /^(pvc|snap)-/.test(s));
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-targets-'));
    [a, b] = await Promise.all([startSim(), startSim()]);
    const config = join(dir, 'controller.yaml');
    writeFileSync(config, stringify({ rds: { targets: [{ name: 'rds-b', address: '127.0.0.1', port: b.sshPort, user: SIM_USER, password: SIM_PASSWORD, hostKey: [b.hostKey], nvmeAddress: '127.0.0.3' }] } }));
    // The default target is sim a (startController's flags), its storage network on 127.0.0.2.
    controller = await startController(a, { dir, args: ['--config', config, '--rds.nvme-address', '127.0.0.2', '--nodes', 'node-1'] });
    client = createClient(contracts.csi().Controller, controller.endpoint, { deadlineMs: 30_000 });
  }, 120_000);
  afterAll(() => stopStack({ client, controller, sims: [a, b], dir }));

  it('rdsTarget makes the disk on that RDS, and every later RPC with its id reaches it', async () => {
    const res = await call<csi.CreateVolumeResponse>('CreateVolume', create('pvc-on-b', { rdsTarget: 'rds-b' }));
    const id = res.volume?.volume_id as string;
    expect(id).toBe('rds-b:pvc-on-b');
    expect(res.volume?.volume_context).toMatchObject({ nvmeAddress: '127.0.0.3', nvmePort: '4420' });
    expect(b.volumeFiles()).toEqual(['pvc-on-b.img']);
    expect(a.volumeFiles()).toEqual([]);

    await call('ControllerExpandVolume', { volume_id: id, capacity_range: { required_bytes: 2 * GiB } });
    expect(b.fileSize('pvc-on-b.img')).toBe(2 * GiB);
    const pub = await call<csi.ControllerPublishVolumeResponse>('ControllerPublishVolume', { volume_id: id, node_id: 'node-1', volume_capability: mountCap, volume_context: res.volume?.volume_context });
    expect(pub.publish_context).toMatchObject({ nvme_address: '127.0.0.3', nvme_nqn: 'nqn.2000-02.com.mikrotik:pvc-on-b' });
    await call('ControllerUnpublishVolume', { volume_id: id, node_id: 'node-1' });
    const snap = (await call<csi.CreateSnapshotResponse>('CreateSnapshot', { name: 'snap-b', source_volume_id: id })).snapshot;
    expect(snap?.snapshot_id).toMatch(/^rds-b:snap-/);
    expect(snap?.source_volume_id).toBe(id);
    expect((await slots(b)).filter((s) => s.startsWith('snap-'))).toHaveLength(1);
    const listed = (await call<csi.ListVolumesResponse>('ListVolumes', {})).entries?.map((e) => e.volume?.volume_id);
    expect(listed).toContain(id);
    await call('DeleteSnapshot', { snapshot_id: snap?.snapshot_id });
    await call('DeleteVolume', { volume_id: id });
    expect(await slots(b)).toEqual([]);
    expect(b.volumeFiles()).toEqual([]);
  }, 60_000);

  it('an upstream class picks its RDS by rdsAddress + sshPort, and nodes go to that RDS\'s storage address, not the class rdsAddress', async () => {
    const res = await call<csi.CreateVolumeResponse>('CreateVolume', create('pvc-by-port', { rdsAddress: '127.0.0.1', sshPort: String(b.sshPort) }));
    expect(res.volume?.volume_id).toBe('rds-b:pvc-by-port');
    expect(res.volume?.volume_context?.['nvmeAddress']).toBe('127.0.0.3');
    expect(b.volumeFiles()).toContain('pvc-by-port.img');
    // No target: the default one, with bare ids as the upstream driver made them.
    const def = await call<csi.CreateVolumeResponse>('CreateVolume', create('pvc-on-a', {}));
    expect(def.volume?.volume_id).toBe('pvc-on-a');
    expect(def.volume?.volume_context?.['nvmeAddress']).toBe('127.0.0.2');
    expect(a.volumeFiles()).toEqual(['pvc-on-a.img']);
  }, 60_000);

  it('reports capacity per target', async () => {
    const free = async (p: Record<string, string>) => (await call<csi.GetCapacityResponse>('GetCapacity', { volume_capabilities: [mountCap], parameters: { volumePath: VOLUME_BASE, ...p } })).available_capacity;
    const [onA, onB] = [Number(await free({})), Number(await free({ rdsTarget: 'rds-b' }))];
    await call('CreateVolume', { ...create('pvc-big-b', { rdsTarget: 'rds-b' }), capacity_range: { required_bytes: 8 * GiB } });
    expect(Number(await free({ rdsTarget: 'rds-b' }))).toBe(onB - 8 * GiB);
    expect(Number(await free({}))).toBe(onA);
  }, 60_000);

  it('refuses unknown targets and mismatches with INVALID_ARGUMENT, creating nothing', async () => {
    const before = [a.volumeFiles(), b.volumeFiles()];
    const bad: Array<Record<string, string>> = [{ rdsTarget: 'rds-x' }, { rdsAddress: '127.0.0.9' }, { rdsTarget: 'rds-b', sshPort: String(a.sshPort) }];
    for (const parameters of bad) {
      await expect(call('CreateVolume', create('pvc-nowhere', parameters))).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    }
    await expect(call('DeleteVolume', { volume_id: 'rds-x:pvc-on-b' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(call('ControllerExpandVolume', { volume_id: 'rds-x:pvc-1', capacity_range: { required_bytes: GiB } })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect([a.volumeFiles(), b.volumeFiles()]).toEqual(before);
  }, 60_000);
});
