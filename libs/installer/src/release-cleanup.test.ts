// The chart's router cleanup against the simulator: objects made as the services make them (their
// own tags, storage-converter's VolumeManager) beside objects of someone else; the cleanup removes
// exactly the release's, keeps PERSISTENT volume data and what others made, and finds nothing left.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { busyboxImage, dockerArchive, Simulator } from '@mikrotik-kube/routeros-sim';
import { createLogger } from '@mikrotik-kube/service-kit';
import { VolumeManager } from '@mikrotik-kube/storage-converter';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipamTag } from '@mikrotik-kube/ipam';
import { formatTag } from '@mikrotik-kube/vk-provider';
import { releaseLeftovers, removeReleaseFromRouter } from './release-cleanup';

const dirs = { containers: 'disk1/mk-containers', images: 'disk1/mk-images', volumes: 'disk1/mk-volumes' };
const logger = createLogger('release-cleanup-test', 'error');

describe('removeReleaseFromRouter', () => {
  let dir: string;
  let sim: Simulator;
  let router: RouterOsClient;
  let put: (file: string) => void;
  const names = async () => (await router.files.list()).map((f) => f.name).sort();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'release-cleanup-'));
    sim = new Simulator({ users: { admin: 'pw' }, dataDir: join(dir, 'sim'), arch: 'x86' });
    const { rest } = await sim.start();
    router = new RouterOsClient({ url: rest, username: 'admin', password: 'pw' });
    const tar = await dockerArchive(busyboxImage({ architecture: 'amd64', cmd: ['/bin/sh'] }));
    put = (f) => {
      mkdirSync(join(dir, 'sim/files', f, '..'), { recursive: true });
      writeFileSync(join(dir, 'sim/files', f), tar);
    };
  });
  afterAll(async () => {
    router?.close();
    await sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes the release’s containers, env, mounts, emptyDir data, veths, bridge ports and tarballs; keeps hostPath data and what others made', async () => {
    // The operator's bridge and someone else's container, veth and files.
    put('disk1/other/app.tar');
    await router.bridges.add({ name: 'containers' });
    await router.veths.add({ name: 'veth-other', addresses: ['172.20.9.9/16'] });
    await router.bridgePorts.add({ bridge: 'containers', interface: 'veth-other' });
    const other = await router.containers.add({ name: 'other', file: 'disk1/other/app.tar', interfaces: ['veth-other'], rootDir: 'disk1/other/root' });
    await router.containers.waitFor(other.id, ['stopped'], { timeoutMs: 20_000 });
    const before = await names();

    // A router pod as vk-provider, ipam and storage-converter make it (its tarball as delivered).
    put('disk1/mk-images/app.tar');
    const owner = 'default/web';
    await router.veths.add({ name: 'mk-ac140005', addresses: ['172.20.0.5/16'], gateway: '172.20.0.1', comment: ipamTag(owner, 'containers') });
    await router.bridgePorts.add({ bridge: 'containers', interface: 'mk-ac140005', comment: ipamTag(owner, 'containers') });
    const volumes = new VolumeManager(router, dirs.volumes, logger);
    const scratch = await volumes.provision({ namespace: 'default', pod: 'web', container: 'app', volume: 'scratch', mount_path: '/scratch', kind: 'VOLUME_KIND_EMPTY_DIR', read_only: false });
    await volumes.provision({ namespace: 'default', pod: 'web', container: 'app', volume: 'keep', mount_path: '/keep', kind: 'VOLUME_KIND_PERSISTENT', read_only: false });
    await router.files.add({ name: `${scratch.router_path}/data`, contents: 'x' });
    const t = formatTag({ namespace: 'default', pod: 'web', container: 'app', hash: 'abcdef12' });
    await router.containers.envs.add({ list: 'default_web_app', key: 'A', value: '1', comment: t });
    const c = await router.containers.add({
      name: 'default_web_app',
      file: 'disk1/mk-images/app.tar',
      interfaces: ['mk-ac140005'],
      rootDir: 'disk1/mk-containers/default_web_app-abcdef12',
      envLists: ['default_web_app'],
      mountLists: [scratch.mount_list],
      comment: t,
    });
    await router.containers.waitFor(c.id, ['stopped'], { timeoutMs: 20_000 });
    await router.containers.start(c.id);
    await router.containers.waitFor(c.id, ['running'], { timeoutMs: 20_000 });
    expect((await releaseLeftovers(router, dirs, logger)).length).toBeGreaterThanOrEqual(6);

    await removeReleaseFromRouter(router, dirs, logger, 20_000);

    expect(await releaseLeftovers(router, dirs, logger)).toEqual([]);
    expect((await router.containers.list()).map((x) => x.name)).toEqual(['other']);
    expect((await router.veths.list()).map((v) => v.name)).toEqual(['veth-other']);
    expect((await router.bridgePorts.list()).map((p) => p.interface)).toEqual(['veth-other']);
    expect(await router.containers.envs.list()).toEqual([]);
    expect(await router.containers.mounts.list()).toEqual([]);
    // Files: as before, plus the hostPath volume (its directory, marker and parents).
    const keep = 'disk1/mk-volumes/default/web/keep';
    expect(await names()).toEqual([...before, 'disk1/mk-volumes', 'disk1/mk-volumes/default', 'disk1/mk-volumes/default/web', keep, `${keep}.persistent.mkvol`].sort());

    // Again: nothing to do, nothing fails.
    await removeReleaseFromRouter(router, dirs, logger, 20_000);
    expect(await releaseLeftovers(router, dirs, logger)).toEqual([]);
  }, 120_000);
});
