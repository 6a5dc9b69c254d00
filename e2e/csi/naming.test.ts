// CreateVolume names that differ only by case (pvc-Case, pvc-case, PVC-CASE) get three disks
// with three NQNs, so no node can attach another volume's data; a name whose NQN an older disk
// already exports is refused (ALREADY_EXISTS) and creates nothing. csi-controller is a real
// process over SSH to the RouterOS simulator; disks are read back through its REST API.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, status, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type csi } from '@mikrotik-kube/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_PASSWORD, SIM_USER, startController, startSim, stopStack, VOLUME_BASE, type ControllerProc, type Sim } from './support/stack';

const PREFIX = 'nqn.2000-02.com.mikrotik';
const mountCap: csi.VolumeCapability = { mount: { fs_type: 'ext4', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } };
const request = (name: string) => ({
  name,
  capacity_range: { required_bytes: 64 * 2 ** 20 },
  volume_capabilities: [mountCap],
  parameters: { volumePath: VOLUME_BASE, nvmeAddress: '127.0.0.1' },
});

describe('volume names that differ only by case', () => {
  let sim: Sim;
  let controller: ControllerProc;
  let client: InstanceType<ReturnType<typeof contracts.csi>['Controller']>;
  let dir: string;
  const rest = async (method: string, path: string, body?: unknown) => {
    const auth = Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64');
    const res = await fetch(`${sim.restUrl}${path}`, { method, headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    return { status: res.status, json: (await res.json()) as unknown };
  };
  const disks = async () => (await rest('GET', '/disk')).json as Array<Record<string, string>>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-naming-'));
    sim = await startSim();
    controller = await startController(sim, { dir });
    client = createClient(contracts.csi().Controller, controller.endpoint, { deadlineMs: 30_000 });
  }, 120_000);
  afterAll(() => stopStack({ client, controller, sims: [sim], dir }));

  it('get three disks exported under three NQNs', async () => {
    const created = [];
    for (const name of ['pvc-Case', 'pvc-case', 'PVC-CASE']) created.push((await unary(client, 'CreateVolume', request(name))).volume);
    const ids = created.map((v) => v?.volume_id);
    expect(new Set(ids).size).toBe(3);
    const nqns = created.map((v) => v?.volume_context.nqn);
    expect(new Set(nqns).size).toBe(3);
    const onRouter = (await disks()).filter((d) => ids.includes(d['slot']));
    expect(onRouter).toHaveLength(3);
    expect(new Set(onRouter.map((d) => d['nvme-tcp-server-nqn'])).size).toBe(3);
    // Retries find the same disks.
    expect((await unary(client, 'CreateVolume', request('pvc-Case'))).volume?.volume_id).toBe(ids[0]);
  }, 60_000);

  it('refuses a name whose NQN an older disk already exports, creating nothing', async () => {
    // What an earlier driver version made for "pvc-Legacy": slot as given, NQN lower-cased.
    const legacy = await rest('PUT', '/disk', {
      type: 'file', slot: 'pvc-Legacy', 'file-path': `${VOLUME_BASE}/pvc-Legacy.img`, 'file-size': '64M',
      'nvme-tcp-export': 'yes', 'nvme-tcp-server-nqn': `${PREFIX}:pvc-legacy`, comment: 'csi;v=1;m=f',
    });
    expect(legacy.status).toBe(201);
    const before = sim.volumeFiles();
    await expect(unary(client, 'CreateVolume', request('pvc-legacy'))).rejects.toMatchObject({ code: status.ALREADY_EXISTS });
    expect((await disks()).filter((d) => d['nvme-tcp-server-nqn'] === `${PREFIX}:pvc-legacy`).map((d) => d['slot'])).toEqual(['pvc-Legacy']);
    expect(sim.volumeFiles()).toEqual(before);
  }, 60_000);
});
