// csi-node as a real process over its unix socket, against real loop devices, mkfs, mount and
// bind mounts: the data path a pod sees, end to end.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { blockCap, codeOf, MiB, mountCap, skipReason, useNodeEnv } from './harness';

const skip = skipReason();

describe.skipIf(skip)('csi-node lifecycle (real mounts on loop devices)', () => {
  const env = useNodeEnv();

  const paths = (id: string) => ({
    staging: join(env().kubelet, 'plugins/kubernetes.io/csi/rds.csi.srvlab.io', id, 'globalmount'),
    target: join(env().kubelet, 'pods/pod-1/volumes/kubernetes.io~csi', id, 'mount'),
  });

  it('stages, publishes, keeps data across unstage and restage', async () => {
    const id = 'pvc-data-1';
    const ctx = env().createVolume(id, 64 * MiB);
    const { staging, target } = paths(id);
    mkdirSync(staging, { recursive: true });
    const stageReq = { volume_id: id, staging_target_path: staging, volume_capability: mountCap('ext4'), volume_context: ctx };
    await env().call('NodeStageVolume', stageReq);
    await env().call('NodeStageVolume', stageReq); // idempotent
    expect(execFileSync('findmnt', ['-n', '-o', 'FSTYPE', staging], { encoding: 'utf8' }).trim()).toBe('ext4');

    mkdirSync(join(target, '..'), { recursive: true });
    const pubReq = { volume_id: id, staging_target_path: staging, target_path: target, volume_capability: mountCap('ext4'), readonly: false };
    await env().call('NodePublishVolume', pubReq);
    await env().call('NodePublishVolume', pubReq); // idempotent: no second bind
    expect(env().mountsUnderRoot().filter((m) => m === target)).toHaveLength(1);
    writeFileSync(join(target, 'hello.txt'), 'written by the pod');

    const stats = await env().call<{ usage: Array<{ unit: string; total: number; used: number }>; volume_condition: { abnormal: boolean } }>(
      'NodeGetVolumeStats',
      { volume_id: id, volume_path: target },
    );
    expect(stats.volume_condition.abnormal).toBe(false);
    const bytes = stats.usage.find((u) => u.unit === 'BYTES');
    expect(bytes?.total).toBeGreaterThan(50 * MiB);
    expect(stats.usage.find((u) => u.unit === 'INODES')?.used).toBeGreaterThan(10);

    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: target });
    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: target }); // idempotent
    expect(existsSync(target)).toBe(false);
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging });
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging });
    expect(env().mountsUnderRoot()).toEqual([]);
    // The subsystem is gone from sysfs and its loop device detached.
    expect(execFileSync('losetup', ['-j', env().backingFile(id)], { encoding: 'utf8' }).trim()).toBe('');

    // Stage again: the file system is found (not reformatted) and the data is there.
    await env().call('NodeStageVolume', stageReq);
    await env().call('NodePublishVolume', pubReq);
    expect(readFileSync(join(target, 'hello.txt'), 'utf8')).toBe('written by the pod');
    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: target });
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging });
  }, 180_000);

  it('expands a mounted xfs volume online and reports the new size', async () => {
    const id = 'pvc-grow-1';
    const ctx = env().createVolume(id, 320 * MiB);
    const { staging, target } = paths(id);
    await env().call('NodeStageVolume', { volume_id: id, staging_target_path: staging, volume_capability: mountCap('xfs'), volume_context: ctx });
    await env().call('NodePublishVolume', { volume_id: id, staging_target_path: staging, target_path: target, volume_capability: mountCap('xfs') });
    const before = Number(execFileSync('df', ['-B1', '--output=size', target], { encoding: 'utf8' }).split('\n')[1]);

    env().growVolume(id, 640 * MiB);
    const res = await env().call<{ capacity_bytes: number }>('NodeExpandVolume', {
      volume_id: id,
      volume_path: target,
      capacity_range: { required_bytes: 640 * MiB },
      volume_capability: mountCap('xfs'),
    });
    expect(res.capacity_bytes).toBe(640 * MiB);
    const after = Number(execFileSync('df', ['-B1', '--output=size', target], { encoding: 'utf8' }).split('\n')[1]);
    expect(after).toBeGreaterThan(before + 250 * MiB);
    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: target });
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging });
  }, 180_000);

  it('connects at the volume context\'s storage address: the management address (127.0.0.1) serves no export', async () => {
    const id = 'pvc-wrong-address';
    const ctx = env().createVolume(id, 32 * MiB);
    expect(ctx['nvmeAddress']).not.toBe('127.0.0.1');
    const staging = paths(id).staging;
    const req = (nvmeAddress: string) => ({ volume_id: id, staging_target_path: staging, volume_capability: blockCap(), volume_context: { ...ctx, nvmeAddress } });
    expect(await codeOf(env().call('NodeStageVolume', req('127.0.0.1')))).not.toBe('OK');
    expect(execFileSync('losetup', ['-j', env().backingFile(id)], { encoding: 'utf8' }).trim()).toBe('');
    await env().call('NodeStageVolume', req(ctx['nvmeAddress'] as string));
    expect(execFileSync('losetup', ['-j', env().backingFile(id)], { encoding: 'utf8' }).trim()).not.toBe('');
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging });
  }, 120_000);

  it('publishes a block volume to two targets, one read-only', async () => {
    const id = 'pvc-block-1';
    const ctx = env().createVolume(id, 32 * MiB);
    const staging = paths(id).staging;
    const t1 = join(env().kubelet, 'plugins/kubernetes.io/csi/volumeDevices/publish', id, 'pod-a');
    const t2 = join(env().kubelet, 'plugins/kubernetes.io/csi/volumeDevices/publish', id, 'pod-b');
    await env().call('NodeStageVolume', { volume_id: id, staging_target_path: staging, volume_capability: blockCap(), volume_context: ctx });
    await env().call('NodePublishVolume', { volume_id: id, staging_target_path: staging, target_path: t1, volume_capability: blockCap() });
    await env().call('NodePublishVolume', { volume_id: id, staging_target_path: staging, target_path: t2, volume_capability: blockCap(), readonly: true });
    expect(statSync(t1).isBlockDevice()).toBe(true);
    expect(statSync(t2).isBlockDevice()).toBe(true);
    // A block volume holds no file system: stage did not format it (blkid: 2 = nothing found).
    expect(spawnSync('blkid', ['-p', t1]).status).toBe(2);
    // Raw bytes written through one target are read back through the other (same device).
    execFileSync('dd', ['if=/dev/urandom', `of=${join(env().root, 'pattern')}`, 'bs=4096', 'count=1'], { stdio: 'ignore' });
    execFileSync('dd', [`if=${join(env().root, 'pattern')}`, `of=${t1}`, 'bs=4096', 'count=1', 'oflag=direct', 'conv=notrunc'], { stdio: 'ignore' });
    const back = execFileSync('dd', [`if=${t2}`, 'bs=4096', 'count=1', 'iflag=direct'], { stdio: ['ignore', 'pipe', 'ignore'] });
    expect(back.equals(readFileSync(join(env().root, 'pattern')))).toBe(true);
    // The read-only target is a read-only bind. (The kernel does not refuse writes to a device
    // node on a ro mount; for raw block the container runtime's device rule enforces `r`.)
    expect(execFileSync('findmnt', ['-n', '-o', 'OPTIONS', t2], { encoding: 'utf8' }).split(',')).toContain('ro');
    expect(execFileSync('findmnt', ['-n', '-o', 'OPTIONS', t1], { encoding: 'utf8' }).split(',')).toContain('rw');

    const stats = await env().call<{ usage: Array<{ unit: string; total: number }> }>('NodeGetVolumeStats', { volume_id: id, volume_path: t1 });
    expect(stats.usage[0]).toMatchObject({ unit: 'BYTES', total: 32 * MiB });
    // Unstage refuses while a target still holds the device.
    expect(await codeOf(env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging }))).toBe(status.FAILED_PRECONDITION);
    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: t1 });
    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: t2 });
    expect(existsSync(t1) || existsSync(t2)).toBe(false);
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging });
  }, 180_000);
});
