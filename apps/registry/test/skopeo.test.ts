// Real clients: skopeo pushes test images into our registry and pulls them back
// out; digests must be identical end to end (OCI, Docker schema 2, multi-arch).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, digestOf } from '@mikrotik-kube/oci';
import { buildImage, buildMultiArchImage, skopeo, startRegistry, tempDir, type RunningRegistry } from './helpers';

function layoutIndex(dir: string): { manifests: Array<{ digest: string; mediaType: string }> } {
  return JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; mediaType: string }> };
}

describe('skopeo against our registry', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  }, 90_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('copies a multi-layer OCI image in and out with identical digests', async () => {
    const img = await buildImage('v1', 4);
    await skopeo('copy', `oci:${img.layoutDir}:v1`, `docker://${reg.host}/team/app:v1`, '--dest-tls-verify=false');
    const res = await fetch(`${reg.url}/v2/team/app/manifests/v1`, { headers: { accept: MediaType.ociManifest } });
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(img.manifest.digest);
    expect(res.headers.get('content-type')).toBe(MediaType.ociManifest);
    expect(digestOf(Buffer.from(await res.arrayBuffer()))).toBe(img.manifest.digest);

    const out = tempDir('pulled');
    await skopeo('copy', `docker://${reg.host}/team/app:v1`, `oci:${out}:v1`, '--src-tls-verify=false');
    expect(layoutIndex(out).manifests[0]?.digest).toBe(img.manifest.digest);
    const manifest = JSON.parse(readFileSync(join(out, 'blobs/sha256', img.manifest.digest.slice(7)), 'utf8')) as {
      layers: Array<{ digest: string }>;
    };
    expect(manifest.layers).toHaveLength(4);
    for (const l of manifest.layers) {
      expect(digestOf(readFileSync(join(out, 'blobs/sha256', l.digest.slice(7))))).toBe(l.digest);
    }
    const tags = (await (await fetch(`${reg.url}/v2/team/app/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['v1']);
    const catalog = (await (await fetch(`${reg.url}/v2/_catalog`)).json()) as { repositories: string[] };
    expect(catalog.repositories).toContain('team/app');
  }, 120_000);

  it('copies a multi-arch image index with --all and keeps every digest', async () => {
    const img = await buildMultiArchImage('multi');
    await skopeo('copy', '--all', `oci:${img.layoutDir}:multi`, `docker://${reg.host}/team/multi:1.0`, '--dest-tls-verify=false');
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/team/multi:1.0`);
    expect(digestOf(Buffer.from(raw))).toBe(img.manifest.digest);
    const index = JSON.parse(raw) as { mediaType: string; manifests: Array<{ digest: string; platform: { architecture: string } }> };
    expect(index.mediaType).toBe(MediaType.ociIndex);
    expect(index.manifests.map((m) => m.platform.architecture)).toEqual(['amd64', 'arm64']);

    const out = tempDir('pulled-multi');
    await skopeo('copy', '--all', `docker://${reg.host}/team/multi:1.0`, `oci:${out}:multi`, '--src-tls-verify=false');
    expect(layoutIndex(out).manifests[0]?.digest).toBe(img.manifest.digest);
    // A single platform resolves through the index, and each child is served by its digest.
    const arm = JSON.parse(
      await skopeo('inspect', '--override-arch', 'arm64', '--tls-verify=false', `docker://${reg.host}/team/multi:1.0`),
    ) as { Architecture: string };
    expect(arm.Architecture).toBe('arm64');
    // The catalog pages with n/last and a Link to the next page.
    const page = await fetch(`${reg.url}/v2/_catalog?n=1`);
    expect(((await page.json()) as { repositories: string[] }).repositories).toEqual(['team/app']);
    expect(page.headers.get('link')).toBe('</v2/_catalog?n=1&last=team%2Fapp>; rel="next"');
    for (const child of index.manifests) {
      const res = await fetch(`${reg.url}/v2/team/multi/manifests/${child.digest}`, { headers: { accept: MediaType.ociManifest } });
      expect(digestOf(Buffer.from(await res.arrayBuffer()))).toBe(child.digest);
    }
  }, 120_000);

  it('stores Docker schema 2 manifests verbatim when skopeo converts to v2s2', async () => {
    const img = await buildImage('d', 2);
    await skopeo('copy', '--format', 'v2s2', `oci:${img.layoutDir}:d`, `docker://${reg.host}/docker/img:d`, '--dest-tls-verify=false');
    const raw = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/docker/img:d`);
    expect((JSON.parse(raw) as { mediaType: string }).mediaType).toBe(MediaType.dockerManifest);
    const head = await fetch(`${reg.url}/v2/docker/img/manifests/d`, { method: 'HEAD', headers: { accept: MediaType.dockerManifest } });
    expect(head.headers.get('content-type')).toBe(MediaType.dockerManifest);
    expect(head.headers.get('docker-content-digest')).toBe(digestOf(Buffer.from(raw)));
    // And back out through a second registry hop: skopeo copies registry to registry without changes.
    await skopeo('copy', `docker://${reg.host}/docker/img:d`, `docker://${reg.host}/docker/copy:d`, '--src-tls-verify=false', '--dest-tls-verify=false');
    const raw2 = await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${reg.host}/docker/copy:d`);
    expect(raw2).toBe(raw);
  }, 120_000);
});
