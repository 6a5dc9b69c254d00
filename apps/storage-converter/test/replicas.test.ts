// Two storage-converter replicas against one simulated router, sharing the fetch signing key as
// the chart's Secret gives it: the router reaches "the fetch Service", which here always leads
// to replica B, so a URL replica A issued is served by B (relayed from A, which alone holds the
// tarball). Then B's GC drops its own cache copy of the same image but leaves the tarball A
// delivered on the router, where a container is about to be created from it.
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unary } from '@mikrotik-kube/grpc-kit';
import type { kube } from '@mikrotik-kube/proto';
import { freePort } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Converter, ensure, must, Rig } from './harness';
import { pushImage } from './images';

describe('two storage-converter replicas', () => {
  const rig = new Rig();
  let a: Converter;
  let b: Converter;
  let image = '';

  beforeAll(async () => {
    await rig.startRouter({ arch: 'arm64' });
    await rig.startRegistry();
    await pushImage(rig.registry.client, 'replicas/app', '1', { platforms: [{ architecture: 'arm64' }], layers: ['gzip'] });
    image = `${rig.registry.host}/replicas/app:1`;
    const keyFile = join(rig.dir, 'fetch-key');
    writeFileSync(keyFile, randomBytes(48).toString('base64'));
    const [portA, portB] = [await freePort(), await freePort()];
    const fetchAt = (port: number, publicPort: number) => ({ fetch: { host: '127.0.0.1', port, publicUrl: `http://127.0.0.1:${publicPort}`, peerUrl: `http://127.0.0.1:${port}`, signingKeyFile: keyFile, tokenTtlSeconds: 60 } });
    a = await rig.startConverter(rig.writeConfig('a', { delivery: fetchAt(portA, portB) }));
    // B's cache policy drops everything it can; tarballs unused on the router go after a minute.
    b = await rig.startConverter(rig.writeConfig('b', { delivery: fetchAt(portB, portB), storage: { maxCacheMb: 0.001, keepLastN: 0, maxAgeHours: 0, strayGraceMinutes: 1 } }));
  }, 120_000);
  afterAll(() => rig.stop());

  const cached = async (c: Converter) => ((await unary(c.images, 'ListImages', {})) as kube.ListImagesResponse__Output).images.map((i) => i.router_file);

  it("a fetch URL replica A issued is served by replica B, from A's tarball", async () => {
    const out = await ensure(a.images, { image, architecture: 'arm64' });
    expect(out.error).toBeUndefined();
    const file = must(out.result).router_file;
    expect(existsSync(join(rig.simFiles, file))).toBe(true);
    expect(a.proc.output()).toContain('"message":"image delivered"');
    // B served it without ever holding the image.
    expect(await cached(b)).toEqual([]);
  }, 60_000);

  it('GC in B drops its own copy of the image but not the tarball A delivered', async () => {
    const [file] = await cached(a);
    // B serves the same image: it finds A's tarball on the router and keeps it in its cache too.
    const out = await ensure(b.images, { image, architecture: 'arm64' });
    expect(out.result?.router_file).toBe(file);
    expect(await cached(b)).toEqual([file]);

    const r = (await unary(b.images, 'CollectGarbage', { dry_run: false })) as kube.CollectGarbageResponse__Output;
    expect(await cached(b)).toEqual([]);
    expect(r.removed).not.toContain(file);
    expect(existsSync(join(rig.simFiles, must(file)))).toBe(true);
    expect(await cached(a)).toEqual([file]);
  }, 60_000);
});
