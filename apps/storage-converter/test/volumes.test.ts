// Volumes against the simulated router: directories and mount entries per pod, idempotent
// provisioning, names that could escape refused, release semantics per kind, and orphan
// cleanup that never touches what a container uses.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status, type ServiceError } from '@grpc/grpc-js';
import { unary } from '@mikrotik-kube/grpc-kit';
import type { kube } from '@mikrotik-kube/proto';
import { type Converter, Rig } from './harness';
import { dockerArchive } from '@mikrotik-kube/routeros-sim';
import { startTsProcess } from '@mikrotik-kube/test-support';

describe('Volumes', () => {
  const rig = new Rig();
  let conv: Converter;

  beforeAll(async () => {
    await rig.startRouter({ arch: 'arm64', version: '7.21' });
    await rig.startRegistry();
    await rig.router.veths.add({ name: 'veth-vol', addresses: ['172.19.0.2/24'], gateway: '172.19.0.1' });
    writeFileSync(join(rig.simFiles, 'app.tar'), await dockerArchive({ architecture: 'arm64' }));
    conv = await rig.startConverter(rig.writeConfig('volumes'));
  }, 120_000);
  afterAll(() => rig.stop());

  const provision = (r: kube.ProvisionVolumeRequest) => unary(conv.volumes, 'ProvisionVolume', r) as Promise<kube.Volume__Output>;
  const release = (namespace: string, pod: string) => unary(conv.volumes, 'ReleasePodVolumes', { namespace, pod }) as Promise<kube.ReleasePodVolumesResponse__Output>;
  const listVolumes = (namespace = '', pod = '') => unary(conv.volumes, 'ListVolumes', { namespace, pod }) as Promise<kube.ListVolumesResponse__Output>;
  const cleanup = (live: string[], dryRun = false) => unary(conv.volumes, 'CleanupOrphans', { live_pods: live, dry_run: dryRun }) as Promise<kube.CleanupOrphansResponse__Output>;
  const onRouter = (p: string) => existsSync(join(rig.simFiles, p));
  const codeOf = (p: Promise<unknown>) => p.then(() => status.OK, (e: ServiceError) => e.code);

  it('provisions a directory and a mount entry per container, idempotently', async () => {
    const req = { namespace: 'default', pod: 'web-0', container: 'nginx', volume: 'cache', mount_path: '/var/cache/nginx', kind: 'VOLUME_KIND_EMPTY_DIR' as const };
    const v = await provision(req);
    expect(v.router_path).toBe('disk1/mk-volumes/default/web-0/cache');
    expect(v.mount_id).toMatch(/^\*[0-9A-F]+$/);
    expect(onRouter(v.router_path)).toBe(true);
    const mounts = await rig.router.containers.mounts.list(v.mount_list);
    expect(mounts).toHaveLength(1);
    expect(mounts[0]).toMatchObject({ src: v.router_path, dst: '/var/cache/nginx' });
    // Same request again: same entry, nothing new.
    const again = await provision(req);
    expect(again.mount_id).toBe(v.mount_id);
    expect(await rig.router.containers.mounts.list(v.mount_list)).toHaveLength(1);
    // A second container of the pod shares the directory through its own mount list.
    const side = await provision({ ...req, container: 'sidecar', mount_path: '/cache', read_only: true });
    expect(side.router_path).toBe(v.router_path);
    expect(side.mount_list).not.toBe(v.mount_list);
    expect(side.read_only).toBe(true);
    // The router uses the list: a container made with it is accepted.
    await rig.router.containers.add({ name: 'web-0-nginx', interfaces: ['veth-vol'], file: 'app.tar', mountLists: [v.mount_list], rootDir: 'disk1/web-0' });
    expect((await rig.router.containers.waitFor('web-0-nginx', ['stopped', 'error'])).state).toBe('stopped');
  });

  it('refuses names that could escape the volume root or confuse the router, changing nothing', async () => {
    const before = JSON.stringify([await rig.router.containers.mounts.list(), readdirSync(join(rig.simFiles, 'disk1'), { recursive: true })]);
    const base = { namespace: 'default', pod: 'p', container: 'c', volume: 'v', mount_path: '/data', kind: 'VOLUME_KIND_EMPTY_DIR' as const };
    for (const bad of [
      { namespace: '..' },
      { pod: '../../etc' },
      { pod: 'a/b' },
      { volume: 'V' },
      { volume: 'a.b' },
      { container: 'x;rm' },
      { mount_path: 'relative' },
      { mount_path: '/a/../b' },
      { mount_path: '/a b' },
      { mount_path: '/a,b' },
      { mount_path: '/a"b' },
      { kind: 'VOLUME_KIND_UNSPECIFIED' as const },
    ]) {
      expect(await codeOf(provision({ ...base, ...bad })), JSON.stringify(bad)).toBe(status.INVALID_ARGUMENT);
    }
    expect(JSON.stringify([await rig.router.containers.mounts.list(), readdirSync(join(rig.simFiles, 'disk1'), { recursive: true })])).toBe(before);
  });

  it('refuses the same volume with another kind, and a mount path taken by another volume', async () => {
    const base = { namespace: 'default', pod: 'web-0', container: 'nginx', volume: 'cache', mount_path: '/var/cache/nginx', kind: 'VOLUME_KIND_PERSISTENT' as const };
    expect(await codeOf(provision(base))).toBe(status.FAILED_PRECONDITION);
    expect(await codeOf(provision({ ...base, volume: 'other', kind: 'VOLUME_KIND_EMPTY_DIR' }))).toBe(status.FAILED_PRECONDITION);
  });

  it('release refuses while a container uses the mounts, then removes entries and emptyDir data but keeps persistent data', async () => {
    const data = await provision({ namespace: 'default', pod: 'web-0', container: 'nginx', volume: 'data', mount_path: '/data', kind: 'VOLUME_KIND_PERSISTENT' });
    writeFileSync(join(rig.simFiles, 'disk1/mk-volumes/default/web-0/cache/page.html'), 'cached');
    writeFileSync(join(rig.simFiles, data.router_path, 'db.sqlite'), 'precious');
    expect(await codeOf(release('default', 'web-0'))).toBe(status.FAILED_PRECONDITION);
    await rig.router.containers.remove('web-0-nginx');
    const r = await release('default', 'web-0');
    expect(r.released.filter((v) => v.mount_id)).toHaveLength(3);
    expect(onRouter('disk1/mk-volumes/default/web-0/cache')).toBe(false);
    expect(onRouter(join(data.router_path, 'db.sqlite'))).toBe(true);
    expect((await rig.router.containers.mounts.list()).filter((m) => m.comment?.includes('pod=web-0'))).toEqual([]);
    // The kept persistent volume is still listed, without a mount.
    const listed = (await listVolumes('default', 'web-0')).volumes;
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ volume: 'data', kind: 'VOLUME_KIND_PERSISTENT', mount_id: '' });
    // Releasing again is a no-op.
    expect((await release('default', 'web-0')).released).toEqual([]);
    // The next pod of that name gets the same data back.
    await provision({ namespace: 'default', pod: 'web-0', container: 'nginx', volume: 'data', mount_path: '/data', kind: 'VOLUME_KIND_PERSISTENT' });
    expect(onRouter(join(data.router_path, 'db.sqlite'))).toBe(true);
  });

  it('cleans up orphans: never a live pod, never what a container references, persistent data kept, one audit line each', async () => {
    const vol = (pod: string, volume: string, kind: 'VOLUME_KIND_EMPTY_DIR' | 'VOLUME_KIND_PERSISTENT') =>
      provision({ namespace: 'team', pod, container: 'app', volume, mount_path: `/${volume}`, kind });
    await vol('live', 'tmp', 'VOLUME_KIND_EMPTY_DIR');
    const gone = await vol('gone', 'tmp', 'VOLUME_KIND_EMPTY_DIR');
    await vol('gone', 'keep', 'VOLUME_KIND_PERSISTENT');
    const busy = await vol('busy', 'tmp', 'VOLUME_KIND_EMPTY_DIR');
    await rig.router.containers.add({ name: 'busy-app', interfaces: ['veth-vol'], file: 'app.tar', mountLists: [busy.mount_list], rootDir: 'disk1/busy' });
    await rig.router.containers.waitFor('busy-app', ['stopped']);
    const live = ['team/live', 'default/web-0'];

    const dry = await cleanup(live, true);
    expect(dry.removed.map((v) => `${v.pod}/${v.volume}`).sort()).toEqual(['gone/keep', 'gone/tmp']);
    expect(dry.pending.map((v) => v.pod)).toEqual(['busy']);
    expect(onRouter(gone.router_path)).toBe(true);

    const r = await cleanup(live);
    expect(r.removed.map((v) => `${v.pod}/${v.volume}`).sort()).toEqual(['gone/keep', 'gone/tmp']);
    expect(r.pending.map((v) => v.pod)).toEqual(['busy']);
    expect(onRouter(gone.router_path)).toBe(false);
    expect(onRouter('disk1/mk-volumes/team/gone/keep')).toBe(true);
    expect(onRouter(busy.router_path)).toBe(true);
    expect(onRouter('disk1/mk-volumes/team/live/tmp')).toBe(true);
    const mounts = await rig.router.containers.mounts.list();
    expect(mounts.some((m) => m.list === busy.mount_list)).toBe(true);
    expect(mounts.some((m) => m.comment?.includes('pod=gone'))).toBe(false);
    const audit = conv.proc.output().split('\n').filter((l) => l.includes('"audit":true') && l.includes('"reason":"orphan"'));
    expect(audit).toHaveLength(3); // two mount entries and one emptyDir directory
    expect(await codeOf(cleanup(['no-slash']))).toBe(status.INVALID_ARGUMENT);
  });
});

describe('Volumes orphan grace period', () => {
  const rig = new Rig();
  let conv: Converter;
  beforeAll(async () => {
    await rig.startRouter();
    await rig.startRegistry();
    conv = await rig.startConverter(rig.writeConfig('grace', { volumes: { orphanGraceSeconds: 3600 } }));
  }, 120_000);
  afterAll(() => rig.stop());

  it('refuses to start with a fetch listener the router could not reach', async () => {
    const config = rig.writeConfig('wildcard', { delivery: { fetch: { host: '0.0.0.0', port: 0 } } });
    const p = startTsProcess('apps/storage-converter/src/main.ts', { args: ['--config', config, '--grpc.port', '0', '--http.port', '0', '--http.host', '127.0.0.1', '--grpc.host', '127.0.0.1'] });
    expect((await p.exited).code).toBe(2);
    expect(p.output()).toMatch(/delivery\.fetch\.publicUrl.*is required/);
  }, 60_000);

  it('keeps fresh orphans pending until the grace period has passed', async () => {
    const v = (await unary(conv.volumes, 'ProvisionVolume', { namespace: 'ns', pod: 'p', container: 'c', volume: 'v', mount_path: '/v', kind: 'VOLUME_KIND_EMPTY_DIR' })) as kube.Volume__Output;
    const r = (await unary(conv.volumes, 'CleanupOrphans', { live_pods: [], dry_run: false })) as kube.CleanupOrphansResponse__Output;
    expect(r.removed).toEqual([]);
    expect(r.pending.map((x) => x.volume)).toEqual(['v']);
    expect(existsSync(join(rig.simFiles, v.router_path))).toBe(true);
  });
});
