// The demo's container image, built here without internet: a one-file rootfs
// layer and an image config, written as an OCI image layout with libs/oci's
// writer, then pushed from that layout to our registry. The simulator does not
// run code, so a tiny rootfs is enough; the architecture must match the router's.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MediaType, OciLayoutWriter, digestOf, RegistryClient, type Descriptor } from '@mikrotik-kube/oci';
import tar from 'tar-stream';

async function rootfsTar(): Promise<Buffer> {
  const pack = tar.pack();
  pack.entry({ name: 'app', mode: 0o755 }, '#!/bin/sh\necho "mikrotik-kube demo"\n');
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Writes the image as an OCI layout under `dir`, tagged `tag`; returns its manifest descriptor. */
export async function writeDemoImage(dir: string, tag: string, architecture: string): Promise<Descriptor> {
  const layout = new OciLayoutWriter(dir);
  await layout.init();
  const rootfs = await rootfsTar();
  const layer = await layout.addBlob(MediaType.ociLayerGzip, gzipSync(rootfs));
  const config = await layout.addJson(MediaType.ociConfig, {
    architecture,
    os: 'linux',
    config: { Entrypoint: ['/app'], Env: ['PATH=/usr/local/bin:/usr/bin:/bin'] },
    rootfs: { type: 'layers', diff_ids: [digestOf(rootfs)] },
  });
  const manifest = await layout.addJson(MediaType.ociManifest, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers: [layer] });
  await layout.tag(manifest, tag);
  return manifest;
}

/** Pushes every blob of the layout's manifest, then the manifest, to `registryUrl`/`repo`:`tag`. */
export async function pushLayout(dir: string, manifest: Descriptor, registryUrl: string, repo: string, tag: string): Promise<void> {
  const client = new RegistryClient({ baseUrl: registryUrl, userAgent: 'mikrotik-kube-demo' });
  const blob = (d: string) => readFile(join(dir, 'blobs', ...d.split(':')));
  const bytes = await blob(manifest.digest);
  const doc = JSON.parse(bytes.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
  for (const d of [doc.config, ...doc.layers]) await client.pushBlob(repo, d.digest, d.size, await blob(d.digest));
  await client.pushManifest(repo, tag, bytes, manifest.mediaType);
}
