// EnsureImage end to end: images built and pushed here, converted by the real service
// process, delivered to the simulated router by /tool/fetch, checked by skopeo and by the
// router's own import; errors for wrong platforms, bad input and corrupt blobs.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { dockerArchive, ociArchive } from '@mikrotik-kube/routeros-sim';
import { type Converter, PASSWORD, Rig, USER, archiveEntries, ensure, must, skopeo } from './harness';
import { startTsProcess } from '@mikrotik-kube/test-support';
import { pushImage, tarOf, type PushedImage } from './images';
import { MediaType, digestOf } from '@mikrotik-kube/oci';

describe('EnsureImage', () => {
  const rig = new Rig();
  let conv: Converter;
  let multi: PushedImage;

  beforeAll(async () => {
    await rig.startRouter({ arch: 'arm64' });
    await rig.startRegistry();
    await rig.router.veths.add({ name: 'veth-test', addresses: ['172.17.0.2/24'], gateway: '172.17.0.1' });
    multi = await pushImage(rig.registry.client, 'apps/multi', '1.0', {
      platforms: [{ architecture: 'amd64' }, { architecture: 'arm64' }, { architecture: 'arm', variant: 'v7' }],
      layers: ['gzip', 'zstd', 'none'],
    });
    conv = await rig.startConverter(rig.writeConfig('images'));
  }, 120_000);
  afterAll(() => rig.stop());

  const ref = (repo: string, tag: string) => `${rig.registry.host}/${repo}:${tag}`;

  it('converts a multi-arch image with gzip, zstd and plain layers for arm64 and the router imports it', async () => {
    const out = await ensure(conv.images, { image: ref('apps/multi', '1.0'), architecture: 'arm64' });
    expect(out.error).toBeUndefined();
    const r = must(out.result);
    expect(r.manifest_digest).toBe(must(multi.platforms['arm64']).manifest);
    expect(r.architecture).toBe('arm64');
    expect(r.cached).toBe(false);
    expect(r.router_file).toMatch(/^disk1\/mk-images\/[a-f0-9]{64}-arm64\.tar$/);
    expect(new Set(out.progress.map((p) => p.phase))).toEqual(new Set(['resolve', 'pull', 'convert', 'deliver']));

    // skopeo reads the archive as docker-archive, with the right platform and uncompressed layers.
    const onRouter = join(rig.simFiles, r.router_file);
    expect(readFileSync(onRouter).length).toBe(Number(r.size_bytes));
    const inspect = JSON.parse(await skopeo('inspect', `docker-archive:${onRouter}`)) as { Architecture: string; Os: string; Layers: string[]; Env: string[] };
    expect(inspect.Architecture).toBe('arm64');
    expect(inspect.Os).toBe('linux');
    expect(inspect.Layers).toEqual(must(multi.platforms['arm64']).diffIds);
    // Layers are stored uncompressed: each <id>/layer.tar hashes to its id.
    const entries = await archiveEntries(onRouter);
    const ids = must(multi.platforms['arm64']).diffIds.map((d) => d.slice(7));
    for (const id of ids) {
      expect(entries.get(`${id}/layer.tar`)).toBe(id);
      expect(entries.has(`${id}/VERSION`) && entries.has(`${id}/json`)).toBe(true);
    }
    expect([...entries.keys()].slice(0, 2)).toEqual(['manifest.json', 'repositories']);

    // The router's own import accepts it.
    await rig.router.containers.add({ name: 'multi', interfaces: ['veth-test'], file: r.router_file });
    const c = await rig.router.containers.waitFor('multi', ['stopped', 'error'], { timeoutMs: 30_000 });
    expect(c.state).toBe('stopped');
    expect(c.arch).toBe('arm64');

    // A second call is a cache hit: nothing converted or delivered again.
    const again = await ensure(conv.images, { image: ref('apps/multi', '1.0'), architecture: 'arm64' });
    expect(again.result?.cached).toBe(true);
    expect(again.result?.router_file).toBe(r.router_file);
  }, 120_000);

  it('picks linux/arm/v7 for arm and linux/amd64 for x86', async () => {
    const arm = await ensure(conv.images, { image: ref('apps/multi', '1.0'), architecture: 'arm' });
    expect(arm.result?.manifest_digest).toBe(must(multi.platforms['arm/v7']).manifest);
    const x86 = await ensure(conv.images, { image: ref('apps/multi', '1.0'), architecture: 'x86' });
    expect(x86.result?.manifest_digest).toBe(must(multi.platforms['amd64']).manifest);
    const inspect = JSON.parse(await skopeo('inspect', `docker-archive:${join(rig.simFiles, must(x86.result).router_file)}`)) as { Architecture: string };
    expect(inspect.Architecture).toBe('amd64');
  }, 120_000);

  it('falls back to arm/v6 when the index has no v7', async () => {
    const old = await pushImage(rig.registry.client, 'apps/armv6', 'x', { platforms: [{ architecture: 'arm', variant: 'v6' }, { architecture: 'amd64' }], layers: ['gzip'] });
    const out = await ensure(conv.images, { image: ref('apps/armv6', 'x'), architecture: 'arm' });
    expect(out.result?.manifest_digest).toBe(must(old.platforms['arm/v6']).manifest);
  }, 60_000);

  it('refuses an index without the router platform, naming the platforms it has', async () => {
    await pushImage(rig.registry.client, 'apps/x86only', 'x', { platforms: [{ architecture: 'amd64' }, { architecture: 's390x' }], layers: ['gzip'] });
    const out = await ensure(conv.images, { image: ref('apps/x86only', 'x'), architecture: 'arm64' });
    expect(out.error?.code).toBe(status.FAILED_PRECONDITION);
    expect(out.error?.details).toContain('linux/amd64, linux/s390x');
    expect(out.error?.details).toContain('linux/arm64');
    expect(out.result).toBeUndefined();
  }, 60_000);

  it('refuses a single-platform image of the wrong architecture', async () => {
    await pushImage(rig.registry.client, 'apps/amd64', 'x', { platforms: [{ architecture: 'amd64' }], layers: ['gzip'] });
    const out = await ensure(conv.images, { image: ref('apps/amd64', 'x'), architecture: 'arm64' });
    expect(out.error?.code).toBe(status.FAILED_PRECONDITION);
    expect(out.error?.details).toMatch(/linux\/amd64.*not linux\/arm64/);
  }, 60_000);

  it('answers bad input with INVALID_ARGUMENT and missing images with NOT_FOUND', async () => {
    const bad = await ensure(conv.images, { image: 'UPPER/../x::', architecture: 'arm64' });
    expect(bad.error?.code).toBe(status.INVALID_ARGUMENT);
    const arch = await ensure(conv.images, { image: ref('apps/multi', '1.0'), architecture: 'mips' });
    expect(arch.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(arch.error?.details).toContain('arm64, arm, x86');
    const foreign = await ensure(conv.images, { image: 'quay.io/some/thing:1', architecture: 'arm64' });
    expect(foreign.error?.code).toBe(status.INVALID_ARGUMENT);
    const missing = await ensure(conv.images, { image: ref('apps/nothing', '1'), architecture: 'arm64' });
    expect(missing.error?.code).toBe(status.NOT_FOUND);
  }, 60_000);

  it('refuses artifacts that are not container images and layers it cannot decompress', async () => {
    const client = rig.registry.client;
    const push = async (repo: string, config: { mediaType: string; bytes: Buffer }, layer: { mediaType: string; bytes: Buffer }) => {
      for (const b of [config.bytes, layer.bytes]) await client.pushBlob(repo, digestOf(b), b.length, b);
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: config.mediaType, digest: digestOf(config.bytes), size: config.bytes.length },
          layers: [{ mediaType: layer.mediaType, digest: digestOf(layer.bytes), size: layer.bytes.length }],
        }),
      );
      await client.pushManifest(repo, '1', manifest, MediaType.ociManifest);
    };
    const layerTar = await tarOf({ 'a.txt': 'a' });
    const config = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: [digestOf(layerTar)] } }));
    await push('apps/artifact', { mediaType: 'application/vnd.example.sbom.v1+json', bytes: Buffer.from('{}') }, { mediaType: 'application/json', bytes: Buffer.from('{"sbom":1}') });
    await push('apps/oddlayer', { mediaType: MediaType.ociConfig, bytes: config }, { mediaType: 'application/vnd.oci.image.layer.v1.tar+bzip2', bytes: layerTar });
    const artifact = await ensure(conv.images, { image: ref('apps/artifact', '1'), architecture: 'arm64' });
    expect(artifact.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(artifact.error?.details).toContain('is not a container image');
    const odd = await ensure(conv.images, { image: ref('apps/oddlayer', '1'), architecture: 'arm64' });
    expect(odd.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(odd.error?.details).toContain('unsupported layer media type');
  }, 60_000);

  it('converts once for concurrent requests of the same image', async () => {
    await pushImage(rig.registry.client, 'apps/concurrent', '1', { platforms: [{ architecture: 'arm64' }], layers: ['gzip', 'zstd'], layerBytes: 2 << 20 });
    const before = conv.proc.output().split('\n').filter((l) => l.includes('"image converted"')).length;
    // Mixed delivery modes still mean one file in one place: one conversion, one delivery.
    const modes = ['DELIVERY_FETCH', 'DELIVERY_SFTP', 'DELIVERY_DEFAULT', 'DELIVERY_SFTP'] as const;
    const outs = await Promise.all(modes.map((delivery) => ensure(conv.images, { image: ref('apps/concurrent', '1'), architecture: 'arm64', delivery })));
    for (const o of outs) expect(o.error).toBeUndefined();
    expect(new Set(outs.map((o) => o.result?.router_file)).size).toBe(1);
    const after = conv.proc.output().split('\n').filter((l) => l.includes('"image converted"')).length;
    expect(after - before).toBe(1);
    expect(conv.proc.output().split('\n').filter((l) => l.includes('"image delivered"') && l.includes(must(outs[0]?.result).router_file))).toHaveLength(1);
  }, 120_000);

  it('refuses a layer whose bytes do not match its digest', async () => {
    const img = await pushImage(rig.registry.client, 'apps/corrupt', '1', { platforms: [{ architecture: 'arm64' }], layers: ['gzip'] });
    const hex = must(must(img.platforms['arm64']).layers[0]).slice('sha256:'.length);
    const blob = join(rig.dir, 'registry', 'blobs', 'sha256', hex.slice(0, 2), hex);
    const data = readFileSync(blob);
    data.writeUInt8(must(data[data.length - 20]) ^ 0xff, data.length - 20);
    writeFileSync(blob, data);
    const out = await ensure(conv.images, { image: ref('apps/corrupt', '1'), architecture: 'arm64' });
    expect(out.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(out.error?.details).toMatch(/digest|decompress|gzip|header|check/i);
    expect(readdirSync(join(rig.dir, 'cache-images', 'tarballs')).filter((f) => f.startsWith(must(img.platforms['arm64']).manifest.slice(7)))).toEqual([]);
  }, 60_000);

  it.each(['gzip', 'zstd'] as const)('refuses a %s layer that does not decompress, naming the format', async (kind) => {
    const img = await pushImage(rig.registry.client, `apps/truncated-${kind}`, '1', { platforms: [{ architecture: 'arm64' }], layers: [kind], layerBytes: 64 << 10, truncateLayers: true });
    const out = await ensure(conv.images, { image: ref(`apps/truncated-${kind}`, '1'), architecture: 'arm64' });
    expect(out.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(out.error?.details).toContain(`${kind} layer`);
    expect(readdirSync(join(rig.dir, 'cache-images', 'tarballs')).filter((f) => f.startsWith(must(img.platforms['arm64']).manifest.slice(7)))).toEqual([]);
  }, 60_000);

  it('delivers over SFTP, and images over the REST body limit reach the router either way', async () => {
    await pushImage(rig.registry.client, 'apps/big', '1', { platforms: [{ architecture: 'arm64' }], layers: ['zstd'], layerBytes: 12 << 20 });
    const viaSftp = await ensure(conv.images, { image: ref('apps/big', '1'), architecture: 'arm64', delivery: 'DELIVERY_SFTP' });
    expect(viaSftp.error).toBeUndefined();
    const r = must(viaSftp.result);
    expect(Number(r.size_bytes)).toBeGreaterThan(12 << 20);
    expect(viaSftp.progress.some((p) => p.phase === 'deliver' && p.message.includes('uploading'))).toBe(true);
    const onRouter = join(rig.simFiles, r.router_file);
    expect(JSON.parse(await skopeo('inspect', `docker-archive:${onRouter}`)).Architecture).toBe('arm64');
    await rig.router.containers.add({ name: 'big', interfaces: ['veth-test'], file: r.router_file, rootDir: 'disk1/big' });
    expect((await rig.router.containers.waitFor('big', ['stopped', 'error'], { timeoutMs: 30_000 })).state).toBe('stopped');
    // The same cached tarball by /tool/fetch once the router lost it.
    await rig.router.containers.remove('big');
    await rig.router.files.remove(r.router_file);
    const viaFetch = await ensure(conv.images, { image: ref('apps/big', '1'), architecture: 'arm64', delivery: 'DELIVERY_FETCH' });
    expect(viaFetch.result?.router_file).toBe(r.router_file);
    expect(readFileSync(onRouter).length).toBe(Number(r.size_bytes));
  }, 120_000);

  it('SFTP delivery pins the router host key: a wrong pin fails naming both keys and leaves no file; no pin refuses to start', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const sftp = { host: '127.0.0.1', port: rig.sshPort, user: USER, password: PASSWORD };
    const pinned = await rig.startConverter(rig.writeConfig('wrong-pin', { delivery: { mode: 'fetch', fetch: { host: '127.0.0.1', port: 0 }, sftp: { ...sftp, hostKey: [wrong] } } }));
    await pushImage(rig.registry.client, 'apps/pinned', '1', { platforms: [{ architecture: 'arm64' }], layers: ['gzip'] });
    const out = await ensure(pinned.images, { image: ref('apps/pinned', '1'), architecture: 'arm64', delivery: 'DELIVERY_SFTP' });
    expect(out.error?.code).toBe(status.UNAVAILABLE);
    expect(out.error?.details).toContain(rig.sshHostKey);
    expect(out.error?.details).toContain(`pinned ${wrong}`);
    expect(readdirSync(join(rig.simFiles, 'disk1', 'mk-images')).filter((f) => f.includes('pinned'))).toEqual([]);
    const unpinned = startTsProcess('apps/storage-converter/src/main.ts', {
      args: ['--config', rig.writeConfig('no-pin', { delivery: { mode: 'fetch', fetch: { host: '127.0.0.1', port: 0 }, sftp } }), '--grpc.port', '0', '--http.port', '0'],
    });
    expect((await unpinned.exited).code, unpinned.output()).toBe(2);
    expect(unpinned.output()).toContain('delivery.sftp.hostKey');
  }, 120_000);

  it('in remote mode points the router at our registry and the router pulls the image itself', async () => {
    const out = await ensure(conv.images, { image: ref('apps/multi', '1.0'), architecture: 'arm64', delivery: 'DELIVERY_REMOTE' });
    expect(out.error).toBeUndefined();
    expect(out.result?.router_file).toBe('');
    expect(out.result?.remote_image).toBe('apps/multi:1.0');
    expect((await rig.router.containers.config.get()).registryUrl).toBe(rig.registry.url);
    await rig.router.containers.add({ name: 'remote', interfaces: ['veth-test'], remoteImage: must(out.result).remote_image, rootDir: 'disk1/remote' });
    const c = await rig.router.containers.waitFor('remote', ['stopped', 'error'], { timeoutMs: 30_000 });
    expect(c.state).toBe('stopped');
  }, 60_000);

  it('the router refuses an OCI-layout tarball and a wrong-architecture archive (what we never deliver)', async () => {
    writeFileSync(join(rig.simFiles, 'oci.tar'), await ociArchive({ architecture: 'arm64' }));
    writeFileSync(join(rig.simFiles, 'amd64.tar'), await dockerArchive({ architecture: 'amd64' }));
    await rig.router.containers.add({ name: 'oci', interfaces: ['veth-test'], file: 'oci.tar', rootDir: 'disk1/oci' });
    await rig.router.containers.add({ name: 'wrongarch', interfaces: ['veth-test'], file: 'amd64.tar', rootDir: 'disk1/wrongarch' });
    expect((await rig.router.containers.waitFor('oci', ['stopped', 'error'])).state).toBe('error');
    expect((await rig.router.containers.waitFor('wrongarch', ['stopped', 'error'])).state).toBe('error');
    const log = (await rig.router.logs.list()).map((l) => l.message).join('\n');
    expect(log).toContain('could not find image manifest in archive');
    expect(log).toMatch(/architecture amd64/);
  }, 60_000);

  it('lists converted images', async () => {
    const { images } = await new Promise<{ images: Array<{ router_file: string; architecture: string }> }>((resolve, reject) =>
      conv.images.ListImages({}, (err: Error | null, v?: { images: Array<{ router_file: string; architecture: string }> }) => (err ? reject(err) : resolve(must(v)))),
    );
    expect(images.map((i) => i.architecture).sort()).toEqual(expect.arrayContaining(['arm', 'arm64', 'x86']));
    for (const i of images) expect(readFileSync(join(rig.simFiles, i.router_file)).length).toBeGreaterThan(0);
  });
});
