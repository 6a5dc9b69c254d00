// Dynamic provisioning end to end with a real control plane (etcd + kube-apiserver +
// controller-manager + scheduler) and the real csi-provisioner and csi-resizer sidecars on
// csi-controller's unix socket: StorageClass rds-nvme-tcp + PVC → Bound PV backed by a file disk
// on the simulated RDS; PVC expansion grows the disk's backing file; deleting the PVC removes
// the disk and the file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@mikrotik-kube/test-support';
import { requireControlPlane, requireTestPeers, startControlPlane, testenvBin, type ControlPlane } from '@mikrotik-kube/testenv';
import { SIM_PASSWORD, SIM_USER, startController, startSim, VOLUME_BASE, type ControllerProc, type Sim } from './support/stack';

const skip = requireControlPlane() ?? requireTestPeers('csi-provisioner', 'csi-resizer', 'kubectl');
const GiB = 2 ** 30;

// An upstream rds-csi class: rdsAddress + sshPort name the RDS (the controller's default target).
const manifests = (sshPort: number) => `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: rds-nvme-tcp
provisioner: rds.csi.srvlab.io
parameters:
  rdsAddress: "127.0.0.1"
  nvmeAddress: "127.0.0.1"
  nvmePort: "4420"
  sshPort: "${sshPort}"
  fsType: ext4
  volumePath: ${VOLUME_BASE}
  nqnPrefix: nqn.2000-02.com.mikrotik
reclaimPolicy: Delete
volumeBindingMode: Immediate
allowVolumeExpansion: true
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: default
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: rds-nvme-tcp
  resources:
    requests:
      storage: 1Gi
`;

describe.skipIf(skip)('provisioning with csi-provisioner and csi-resizer on a real control plane', () => {
  let cp: ControlPlane;
  let sim: Sim;
  let controller: ControllerProc;
  let dir: string;
  const sidecars: ChildProcess[] = [];
  const kubectl = (args: string[], input?: string) => cp.kubectl(args, input);
  const disks = async (): Promise<Array<Record<string, string>>> => {
    const auth = Buffer.from(`${SIM_USER}:${SIM_PASSWORD}`).toString('base64');
    const res = await fetch(`${sim.restUrl}/disk`, { headers: { authorization: `Basic ${auth}` } });
    return (await res.json()) as Array<Record<string, string>>;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-prov-'));
    cp = await startControlPlane();
    sim = await startSim();
    controller = await startController(sim, { dir, args: ['--kubeconfig', cp.kubeconfig] });
    for (const bin of ['csi-provisioner', 'csi-resizer']) {
      const child = spawn(testenvBin(bin) as string, [`--csi-address=${controller.socketPath}`, `--kubeconfig=${cp.kubeconfig}`, '--leader-election=false', '--timeout=60s', '-v=2'], {
        stdio: ['ignore', 'ignore', 'ignore'],
      });
      sidecars.push(child);
    }
  }, 300_000);

  afterAll(async () => {
    for (const s of sidecars) s.kill('SIGTERM');
    await controller?.stop();
    await sim?.stop();
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  let pv = '';
  let handle = '';

  it('a PVC of StorageClass rds-nvme-tcp becomes Bound to a PV backed by an exported file disk', async () => {
    kubectl(['apply', '-f', '-'], manifests(sim.sshPort));
    await waitFor(() => kubectl(['get', 'pvc', 'data', '-o', 'jsonpath={.status.phase}']) === 'Bound', 120_000, 500);
    pv = kubectl(['get', 'pvc', 'data', '-o', 'jsonpath={.spec.volumeName}']);
    handle = kubectl(['get', 'pv', pv, '-o', 'jsonpath={.spec.csi.volumeHandle}']);
    expect(handle).toBe(pv); // the provisioner names volumes pvc-<uid>; the id is the name
    expect(kubectl(['get', 'pv', pv, '-o', 'jsonpath={.spec.csi.volumeAttributes.nqn}'])).toBe(`nqn.2000-02.com.mikrotik:${handle}`);
    expect(sim.volumeFiles()).toContain(`${handle}.img`);
    expect(sim.fileSize(`${handle}.img`)).toBe(GiB);
    const disk = (await disks()).find((d) => d['slot'] === handle);
    expect(disk?.['nvme-tcp-export']).toBe('true');
    expect(disk?.['file-path']).toBe(`${VOLUME_BASE}/${handle}.img`);
  }, 180_000);

  it('expanding the PVC grows the file disk and the PV', async () => {
    kubectl(['patch', 'pvc', 'data', '--type=merge', '-p', '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}']);
    await waitFor(() => sim.fileSize(`${handle}.img`) === 2 * GiB, 120_000, 500);
    await waitFor(() => kubectl(['get', 'pv', pv, '-o', 'jsonpath={.spec.capacity.storage}']) === '2Gi', 60_000, 500);
    const disk = (await disks()).find((d) => d['slot'] === handle);
    expect(Number(disk?.['size'])).toBe(2 * GiB);
  }, 180_000);

  it('deleting the PVC deletes the PV, the disk and its backing file', async () => {
    kubectl(['delete', 'pvc', 'data', '--wait=false']);
    await waitFor(() => !kubectl(['get', 'pv', '-o', 'name']).includes(pv), 120_000, 500);
    await waitFor(() => !sim.volumeFiles().includes(`${handle}.img`), 30_000, 200);
    expect((await disks()).some((d) => d['slot'] === handle)).toBe(false);
    expect(controller.proc.output()).toMatch(/"command":"\/disk remove/);
  }, 180_000);
});
