// KubeVirt live migration through csi-controller's real gRPC service and the RouterOS simulator
// over SSH, three nodes: a MULTI_NODE_MULTI_WRITER block volume is published on two nodes at once
// (source and target), a third is refused (FAILED_PRECONDITION); `migrationTimeoutSeconds` (30,
// the smallest the driver allows) bounds the two-node window: past it the target is not
// attached again (the source still is), the volume's condition is abnormal, and that state is
// on the router, so a restarted controller enforces it too; unpublishing one node ends the
// migration (metric by result) and the next migration gets a fresh window. Publish state is read
// back from the disk comment through the router's REST API.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeClient, createClient, status, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type csi } from '@mikrotik-kube/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, SIM_PASSWORD, SIM_USER, startController, startSim, stopStack, VOLUME_BASE, type ControllerProc, type Sim } from './support/stack';

const TIMEOUT_S = 30;
const NODES = ['node-a', 'node-b', 'node-c'] as const;
const [A, B, C] = NODES;
const blockRwx: csi.VolumeCapability = { block: {}, access_mode: { mode: 'MULTI_NODE_MULTI_WRITER' } };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('live migration: two nodes, a third refused, migrationTimeoutSeconds enforced', () => {
  let sim: Sim;
  let controller: ControllerProc;
  let client: InstanceType<ReturnType<typeof contracts.csi>['Controller']>;
  let dir: string;
  let id = '';
  let context: Record<string, string> = {};

  const connect = async () => {
    controller = await startController(sim, { dir, args: ['--nodes', NODES.join(',')] });
    client = createClient(contracts.csi().Controller, controller.endpoint, { deadlineMs: 30_000 });
  };
  const publish = (node: string, volume_context = context) =>
    unary(client, 'ControllerPublishVolume', { volume_id: id, node_id: node, volume_capability: blockRwx, readonly: false, volume_context });
  const unpublish = (node: string) => unary(client, 'ControllerUnpublishVolume', { volume_id: id, node_id: node });
  const condition = async () => (await unary(client, 'ControllerGetVolume', { volume_id: id })).status;
  /** The disk comment as the router holds it. */
  const comment = async () => {
    const auth = Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64');
    const disks = (await (await fetch(`${sim.restUrl}/disk`, { headers: { authorization: `Basic ${auth}` } })).json()) as Array<Record<string, string>>;
    return disks.find((d) => d['slot'] === id)?.['comment'] ?? '';
  };
  const ended = (result: string) => metricValue(controller.opsUrl, 'mikrotik_kube_csi_live_migrations_total', { result });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-migration-'));
    sim = await startSim();
    await connect();
    const created = await unary(client, 'CreateVolume', {
      name: 'pvc-vm-disk',
      capacity_range: { required_bytes: 2 ** 30 },
      volume_capabilities: [blockRwx],
      parameters: { volumePath: VOLUME_BASE, nvmeAddress: '127.0.0.1', migrationTimeoutSeconds: String(TIMEOUT_S) },
    });
    id = created.volume?.volume_id ?? '';
    context = created.volume?.volume_context ?? {};
    expect(context['migrationTimeoutSeconds']).toBe(String(TIMEOUT_S));
  }, 120_000);
  afterAll(() => stopStack({ client, controller, sims: [sim], dir }));

  it('publishes on the source and the target, refuses a third node and a malformed timeout', async () => {
    await publish(A);
    await expect(publish(B, { ...context, migrationTimeoutSeconds: 'soon' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    expect(await comment()).toMatch(/;n=node-a:w$/); // nothing written
    await publish(B);
    expect(await comment()).toMatch(new RegExp(`;n=node-a:w,node-b:w;mig=\\d+\\+${TIMEOUT_S}$`));
    await expect(publish(C)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringContaining('node-a and node-b') });
    await publish(B); // the attacher's retry within the window
    const s = await condition();
    expect(s?.published_node_ids).toEqual([A, B]);
    expect(s?.volume_condition?.abnormal).toBe(false);
  }, 60_000);

  it('unpublishing the source ends the migration within its window; the next one gets a window of its own', async () => {
    await unpublish(A);
    expect(await ended('completed')).toBe(1);
    expect(await comment()).toMatch(/;n=node-b:w$/);
    await publish(C);
    expect(await comment()).toMatch(/;n=node-b:w,node-c:w;mig=/);
  }, 60_000);

  it(`past ${TIMEOUT_S} s on two nodes the target is not attached again, the source is, the condition says why — also after a restart`, async () => {
    const since = Number(/;mig=(\d+)\+/.exec(await comment())?.[1]) * 1000;
    await sleep(Math.max(0, since + TIMEOUT_S * 1000 - Date.now()) + 1500);
    await expect(publish(C)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringContaining('live migration overdue') });
    await publish(B);
    await expect(publish(A)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION, details: expect.stringContaining('live migration overdue') });
    const s = await condition();
    expect(s?.volume_condition).toMatchObject({ abnormal: true, message: expect.stringContaining('migrationTimeoutSeconds is 30') });

    closeClient(client);
    await controller.stop();
    await connect();
    await expect(publish(C)).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    expect((await condition())?.volume_condition?.abnormal).toBe(true);
  }, 120_000);

  it('unpublishing the target ends the overdue migration (counted timed-out); the target may come back in a new window', async () => {
    await unpublish(C);
    expect(await ended('timed-out')).toBe(1);
    expect(await comment()).toMatch(/;n=node-b:w$/);
    expect((await condition())?.volume_condition?.abnormal).toBe(false);
    await publish(C);
    expect((await condition())?.published_node_ids).toEqual([B, C]);
    expect((await condition())?.volume_condition?.abnormal).toBe(false);
  }, 60_000);
});
