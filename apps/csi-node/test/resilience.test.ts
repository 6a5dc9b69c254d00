// Restarts, lost controllers and bad requests: the plugin rediscovers what it staged, repairs a
// lost link, reports what it cannot repair, and refuses bad input without changing anything.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { blockCap, codeOf, MiB, mountCap, skipReason, useNodeEnv } from './harness';

const skip = skipReason();

describe.skipIf(skip)('csi-node resilience and bad requests', () => {
  const env = useNodeEnv();

  const staging = (id: string) => join(env().kubelet, 'plugins/kubernetes.io/csi/rds.csi.srvlab.io', id, 'globalmount');
  const target = (id: string) => join(env().kubelet, 'pods/pod-r/volumes/kubernetes.io~csi', id, 'mount');
  const subsystems = () => readdirSync(join(env().sys, 'class/nvme-subsystem')).filter((n) => n.startsWith('nvme-subsys'));

  it('survives a restart between stage and publish', async () => {
    const id = 'pvc-restart-1';
    const ctx = env().createVolume(id, 48 * MiB);
    await env().call('NodeStageVolume', { volume_id: id, staging_target_path: staging(id), volume_capability: mountCap(), volume_context: ctx });
    const state = JSON.parse(readFileSync(env().stateFile, 'utf8')) as { volumes: Record<string, { target: { nqn: string } }> };
    expect(state.volumes[id]?.target.nqn).toBe(ctx['nqn']);

    await env().stop();
    await env().start();
    // The restarted plugin knows the volume: publish works, unstage disconnects the right NQN.
    await env().call('NodePublishVolume', { volume_id: id, staging_target_path: staging(id), target_path: target(id), volume_capability: mountCap() });
    writeFileSync(join(target(id), 'after-restart'), 'ok');
    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: target(id) });
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging(id) });
    expect(subsystems()).toEqual([]);
  }, 180_000);

  it('reports a lost controller as abnormal, then reconnects and remounts on restart', async () => {
    const id = 'pvc-lost-1';
    const ctx = env().createVolume(id, 48 * MiB);
    await env().call('NodeStageVolume', { volume_id: id, staging_target_path: staging(id), volume_capability: mountCap(), volume_context: ctx });
    await env().call('NodePublishVolume', { volume_id: id, staging_target_path: staging(id), target_path: target(id), volume_capability: mountCap() });
    writeFileSync(join(target(id), 'before'), 'kept');
    execFileSync('sync', ['-f', join(target(id), 'before')]); // what a pod fsynced must survive

    // The link drops: the kernel marks the controller `connecting`.
    const [sub] = subsystems();
    const ctrl = readdirSync(join(env().sys, 'class/nvme-subsystem', sub as string)).find((n) => /^nvme\d+$/.test(n)) as string;
    writeFileSync(join(env().sys, 'class/nvme-subsystem', sub as string, ctrl, 'state'), 'connecting\n');
    const stats = await env().call<{ volume_condition: { abnormal: boolean; message: string } }>('NodeGetVolumeStats', { volume_id: id, volume_path: target(id) });
    expect(stats.volume_condition).toMatchObject({ abnormal: true });
    expect(stats.volume_condition.message).toMatch(/no live controller/);

    // ctrl-loss-tmo expires: the kernel removes the controller; the mounts now hold a dead device.
    // (Simulated: the stand-in tears down its sysfs entries; the loop device stays held by the mount.)
    execFileSync(join(import.meta.dirname, 'support/nvme'), ['disconnect', '-n', ctx['nqn'] as string], {
      env: { ...process.env, NVME_STANDIN_SYSFS: env().sys },
    });
    const gone = await env().call<{ volume_condition: { abnormal: boolean; message: string } }>('NodeGetVolumeStats', { volume_id: id, volume_path: target(id) });
    expect(gone.volume_condition.message).toMatch(/not connected/);

    // On restart the plugin reconnects, remounts the staging path and rebinds the target.
    await env().stop();
    await env().start();
    const healed = await env().call<{ volume_condition: { abnormal: boolean } }>('NodeGetVolumeStats', { volume_id: id, volume_path: target(id) });
    expect(healed.volume_condition.abnormal).toBe(false);
    expect(readFileSync(join(target(id), 'before'), 'utf8')).toBe('kept');
    await env().call('NodeUnpublishVolume', { volume_id: id, target_path: target(id) });
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging(id) });
  }, 180_000);

  it('refuses bad requests with the right codes and changes nothing', async () => {
    const id = 'pvc-bad-1';
    const ctx = env().createVolume(id, 32 * MiB);
    const stateBefore = (() => {
      try {
        return readFileSync(env().stateFile, 'utf8');
      } catch {
        return '';
      }
    })();
    const mountsBefore = env().mountsUnderRoot();
    const st = staging(id);
    const cases: Array<[string, string, object, number]> = [
      ['stage without capability', 'NodeStageVolume', { volume_id: id, staging_target_path: st, volume_context: ctx }, status.INVALID_ARGUMENT],
      ['stage without volume id', 'NodeStageVolume', { staging_target_path: st, volume_capability: mountCap(), volume_context: ctx }, status.INVALID_ARGUMENT],
      ['stage outside the kubelet dir', 'NodeStageVolume', { volume_id: id, staging_target_path: '/etc/x', volume_capability: mountCap(), volume_context: ctx }, status.INVALID_ARGUMENT],
      ['stage with .. traversal', 'NodeStageVolume', { volume_id: id, staging_target_path: `${env().kubelet}/../x`, volume_capability: mountCap(), volume_context: ctx }, status.INVALID_ARGUMENT],
      ['stage with an unsupported fs', 'NodeStageVolume', { volume_id: id, staging_target_path: st, volume_capability: mountCap('btrfs'), volume_context: ctx }, status.INVALID_ARGUMENT],
      ['stage with a dangerous mount flag', 'NodeStageVolume', { volume_id: id, staging_target_path: st, volume_capability: { mount: { fs_type: 'ext4', mount_flags: ['bind'] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } }, volume_context: ctx }, status.INVALID_ARGUMENT],
      ['stage without an NQN', 'NodeStageVolume', { volume_id: id, staging_target_path: st, volume_capability: mountCap(), volume_context: { nvmeAddress: '127.0.0.1' } }, status.INVALID_ARGUMENT],
      ['stage with a shell in the NQN', 'NodeStageVolume', { volume_id: id, staging_target_path: st, volume_capability: mountCap(), volume_context: { ...ctx, nqn: 'nqn.2000-02.com.mikrotik:x;rm -rf /' } }, status.INVALID_ARGUMENT],
      ['multi-node writer on a file system', 'NodeStageVolume', { volume_id: id, staging_target_path: st, volume_capability: mountCap('ext4', 'MULTI_NODE_MULTI_WRITER'), volume_context: ctx }, status.INVALID_ARGUMENT],
      ['publish an unknown volume', 'NodePublishVolume', { volume_id: 'pvc-unknown', staging_target_path: st, target_path: target('pvc-unknown'), volume_capability: mountCap() }, status.NOT_FOUND],
      ['publish without capability', 'NodePublishVolume', { volume_id: id, staging_target_path: st, target_path: target(id) }, status.INVALID_ARGUMENT],
      ['publish outside the kubelet dir', 'NodePublishVolume', { volume_id: id, staging_target_path: st, target_path: '/tmp/evil', volume_capability: mountCap() }, status.INVALID_ARGUMENT],
      ['publish without staging path', 'NodePublishVolume', { volume_id: id, target_path: target(id), volume_capability: mountCap() }, status.FAILED_PRECONDITION],
      ['stats of an unknown volume', 'NodeGetVolumeStats', { volume_id: 'pvc-unknown', volume_path: st }, status.NOT_FOUND],
      ['expand an unknown volume', 'NodeExpandVolume', { volume_id: 'pvc-unknown', volume_path: st }, status.NOT_FOUND],
      ['unstage outside the kubelet dir', 'NodeUnstageVolume', { volume_id: id, staging_target_path: '/' }, status.INVALID_ARGUMENT],
      ['unpublish without target', 'NodeUnpublishVolume', { volume_id: id }, status.INVALID_ARGUMENT],
    ];
    for (const [what, method, req, code] of cases) {
      expect({ what, code: await codeOf(env().call(method, req)) }).toEqual({ what, code });
    }
    // A symlink inside the kubelet dir that points out of it is refused too.
    mkdirSync(join(env().kubelet, 'pods'), { recursive: true });
    execFileSync('ln', ['-sfn', '/etc', join(env().kubelet, 'pods/escape')]);
    expect(await codeOf(env().call('NodeStageVolume', { volume_id: id, staging_target_path: join(env().kubelet, 'pods/escape/x'), volume_capability: mountCap(), volume_context: ctx }))).toBe(
      status.INVALID_ARGUMENT,
    );
    // Nothing connected, mounted or recorded.
    expect(subsystems()).toEqual([]);
    expect(env().mountsUnderRoot()).toEqual(mountsBefore);
    expect(((): string => {
      try {
        return readFileSync(env().stateFile, 'utf8');
      } catch {
        return '';
      }
    })()).toBe(stateBefore);
  }, 120_000);

  it('refuses to disconnect a device that a foreign mount still holds', async () => {
    const id = 'pvc-held-1';
    const ctx = env().createVolume(id, 32 * MiB);
    await env().call('NodeStageVolume', { volume_id: id, staging_target_path: staging(id), volume_capability: mountCap(), volume_context: ctx });
    const stray = join(env().kubelet, 'stray-bind');
    mkdirSync(stray, { recursive: true });
    execFileSync('mount', ['--bind', staging(id), stray]);
    expect(await codeOf(env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging(id) }))).toBe(status.FAILED_PRECONDITION);
    expect(subsystems()).toHaveLength(1); // still connected: the stray mount keeps working
    execFileSync('umount', [stray]);
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging(id) });
    expect(subsystems()).toEqual([]);
  }, 120_000);

  it('answers ABORTED for a concurrent operation on the same volume', async () => {
    const id = 'pvc-race-1';
    const ctx = env().createVolume(id, 32 * MiB);
    const req = { volume_id: id, staging_target_path: staging(id), volume_capability: blockCap(), volume_context: ctx };
    const codes = await Promise.all([codeOf(env().call('NodeStageVolume', req)), codeOf(env().call('NodeStageVolume', req))]);
    expect(codes.sort()).toEqual([status.ABORTED, 'OK'].sort());
    // Staged once; a different capability on the same path is a conflict.
    expect(await codeOf(env().call('NodeStageVolume', { ...req, volume_capability: mountCap() }))).toBe(status.ALREADY_EXISTS);
    await env().call('NodeUnstageVolume', { volume_id: id, staging_target_path: staging(id) });
    expect(subsystems()).toEqual([]);
  }, 120_000);
});
