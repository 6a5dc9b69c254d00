// CollectGarbage against the simulated router: LRU removal of cached tarballs, dry runs
// that change nothing, tarballs used by a container never removed, strays on the router,
// and the cache index surviving a restart.
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { kube } from '@mikrotik-kube/proto';
import { unary } from '@mikrotik-kube/grpc-kit';
import { type Converter, Rig, ensure, must } from './harness';
import { pushImage } from './images';

describe('CollectGarbage', () => {
  const rig = new Rig();
  let conv: Converter;
  let config: string;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    await rig.startRouter({ arch: 'arm64' });
    await rig.startRegistry();
    await rig.router.veths.add({ name: 'veth-gc', addresses: ['172.18.0.2/24'], gateway: '172.18.0.1' });
    // Everything is over the size limit and nothing is protected by keep-last-N.
    config = rig.writeConfig('gc', { storage: { maxCacheMb: 0.001, keepLastN: 0, maxAgeHours: 0, strayGraceMinutes: 0 } });
    conv = await rig.startConverter(config);
    for (const name of ['a', 'b', 'c']) {
      await pushImage(rig.registry.client, `gc/${name}`, '1', { platforms: [{ architecture: 'arm64' }], layers: ['gzip'] });
      const out = await ensure(conv.images, { image: `${rig.registry.host}/gc/${name}:1`, architecture: 'arm64' });
      files[name] = must(out.result).router_file;
    }
    // A container made from b: its tarball is in use on the router.
    await rig.router.containers.add({ name: 'uses-b', interfaces: ['veth-gc'], file: files['b'] });
    await rig.router.containers.waitFor('uses-b', ['stopped']);
  }, 120_000);
  afterAll(() => rig.stop());

  const gc = (dryRun: boolean) => unary(conv.images, 'CollectGarbage', { dry_run: dryRun }) as Promise<kube.CollectGarbageResponse__Output>;
  const list = async () => ((await unary(conv.images, 'ListImages', {})) as kube.ListImagesResponse__Output).images.map((i) => i.router_file).sort();
  const onRouter = (f: string | undefined) => existsSync(join(rig.simFiles, must(f)));

  it('a dry run reports what it would remove and removes nothing', async () => {
    const r = await gc(true);
    expect(r.removed.sort()).toEqual([files['a'], files['c']].sort());
    expect(r.in_use).toEqual([files['b']]);
    expect(Number(r.freed_bytes)).toBeGreaterThan(0);
    for (const f of Object.values(files)) expect(onRouter(f)).toBe(true);
    expect(await list()).toHaveLength(3);
  });

  it('removes unused tarballs and never the one a container uses', async () => {
    const r = await gc(false);
    expect(r.removed.sort()).toEqual([files['a'], files['c']].sort());
    expect(r.in_use).toEqual([files['b']]);
    expect(onRouter(files['a'])).toBe(false);
    expect(onRouter(files['c'])).toBe(false);
    expect(onRouter(files['b'])).toBe(true);
    expect(await list()).toEqual([files['b']]);
    // The router can still start the container from it.
    await rig.router.containers.start('uses-b');
    expect((await rig.router.containers.waitFor('uses-b', ['running'])).state).toBe('running');
    expect((await gc(false)).removed).toEqual([]);
  });

  it('removes our stray tarballs on the router unless a container uses them, and leaves other files alone', async () => {
    const bPath = join(rig.simFiles, must(files['b']));
    const strayFree = `disk1/mk-images/${'1'.repeat(64)}-arm64.tar`;
    const strayUsed = `disk1/mk-images/${'2'.repeat(64)}-arm64.tar`;
    copyFileSync(bPath, join(rig.simFiles, strayFree));
    copyFileSync(bPath, join(rig.simFiles, strayUsed));
    writeFileSync(join(rig.simFiles, 'disk1/mk-images/notours.tar'), 'x');
    await rig.router.containers.add({ name: 'uses-stray', interfaces: ['veth-gc'], file: strayUsed, rootDir: 'disk1/stray' });
    await rig.router.containers.waitFor('uses-stray', ['stopped']);
    const r = await gc(false);
    expect(r.removed).toEqual([strayFree]);
    expect(r.in_use.sort()).toEqual([files['b'], strayUsed].sort());
    expect(onRouter(strayFree)).toBe(false);
    expect(onRouter(strayUsed)).toBe(true);
    expect(onRouter('disk1/mk-images/notours.tar')).toBe(true);
  });

  it('keeps the cache index across a restart, and re-delivers a tarball the router lost', async () => {
    await conv.proc.stop();
    conv = await rig.startConverter(config);
    expect(await list()).toEqual([files['b']]);
    const again = await ensure(conv.images, { image: `${rig.registry.host}/gc/b:1`, architecture: 'arm64' });
    expect(again.result?.cached).toBe(true);
    // A tarball the router lost is delivered again from the cache, without converting.
    await rig.router.containers.stop('uses-b');
    await rig.router.containers.waitFor('uses-b', ['stopped']);
    await rig.router.containers.remove('uses-b');
    await rig.router.files.remove(must(files['b']));
    const redo = await ensure(conv.images, { image: `${rig.registry.host}/gc/b:1`, architecture: 'arm64' });
    expect(redo.result?.cached).toBe(false);
    expect(onRouter(files['b'])).toBe(true);
    expect(conv.proc.output()).not.toContain('"image converted"');
  }, 60_000);
});
