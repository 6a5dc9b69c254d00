// Garbage collection as a command against the storage of a running registry:
// unreferenced blobs go, referenced content stays, a dry run deletes nothing,
// the grace period protects fresh uploads, and untagged manifests go on request.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, digestOf } from '@mikrotik-kube/oci';
import { startTsProcess } from '@mikrotik-kube/test-support';
import { buildImage, skopeo, startRegistry, tempDir, type RunningRegistry } from './helpers';

interface GcResult {
  blobsDeleted: string[];
  manifestsDeleted: Array<{ repo: string; digest: string }>;
}

/** Runs `registry --gc` as its own process (asynchronously: a blocked test process would stall its HTTP sockets). */
async function gc(storageDir: string, ...args: string[]): Promise<GcResult> {
  const p = startTsProcess('apps/registry/src/main.ts', { args: ['--storage-dir', storageDir, '--gc', '--log.level', 'warn', ...args] });
  const { code } = await p.exited;
  if (code !== 0) throw new Error(`gc failed: ${p.output()}`);
  return JSON.parse(p.output().trim().split('\n').pop() as string) as GcResult;
}

async function push(reg: RunningRegistry, repo: string, content: Buffer): Promise<string> {
  const digest = digestOf(content);
  const res = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: content });
  expect(res.status).toBe(201);
  return digest;
}

async function headBlob(reg: RunningRegistry, repo: string, digest: string): Promise<number> {
  return (await fetch(`${reg.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' })).status;
}

describe('garbage collection', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry([], join(tempDir('gc'), 'storage'));
  }, 90_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('sweeps unreferenced blobs and keeps everything a tag reaches', async () => {
    const img = await buildImage('v1', 3);
    await skopeo('copy', `oci:${img.layoutDir}:v1`, `docker://${reg.host}/gc/app:v1`, '--dest-tls-verify=false');
    const orphan = await push(reg, 'gc/app', Buffer.from('nobody references me'));

    // An untagged manifest with its own config blob.
    const cfg = await push(reg, 'gc/app', Buffer.from('{"architecture":"arm64","os":"linux"}'));
    const untagged = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: cfg, size: 37 },
        layers: [],
      }),
    );
    const put = await fetch(`${reg.url}/v2/gc/app/manifests/${digestOf(untagged)}`, {
      method: 'PUT',
      headers: { 'content-type': MediaType.ociManifest },
      body: untagged,
    });
    expect(put.status).toBe(201);

    // Default grace period (1 h): fresh content is never touched.
    expect((await gc(reg.storageDir)).blobsDeleted).toEqual([]);

    const dry = await gc(reg.storageDir, '--dry-run', '--gc.grace-seconds', '0');
    expect(dry.blobsDeleted).toEqual([orphan]);
    expect(await headBlob(reg, 'gc/app', orphan)).toBe(200);

    const real = await gc(reg.storageDir, '--gc.grace-seconds', '0');
    expect(real.blobsDeleted).toEqual([orphan]);
    expect(await headBlob(reg, 'gc/app', orphan)).toBe(404);
    expect(await headBlob(reg, 'gc/app', cfg)).toBe(200);

    const out = tempDir('after-gc');
    await skopeo('copy', `docker://${reg.host}/gc/app:v1`, `oci:${out}:v1`, '--src-tls-verify=false');

    const untaggedRun = await gc(reg.storageDir, '--gc.grace-seconds', '0', '--gc.delete-untagged');
    expect(untaggedRun.manifestsDeleted).toEqual([{ repo: 'gc/app', digest: digestOf(untagged) }]);
    expect(untaggedRun.blobsDeleted.sort()).toEqual([cfg, digestOf(untagged)].sort());
    expect((await fetch(`${reg.url}/v2/gc/app/manifests/${digestOf(untagged)}`)).status).toBe(404);
    const res = await fetch(`${reg.url}/v2/gc/app/manifests/v1`, { headers: { accept: MediaType.ociManifest } });
    expect(res.headers.get('docker-content-digest')).toBe(img.manifest.digest);
  }, 180_000);
});
