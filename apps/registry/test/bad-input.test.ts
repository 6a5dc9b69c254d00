// Bad input gets the spec's error and changes nothing on disk: every case below
// snapshots the storage tree before and after the request.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, digestOf } from '@mikrotik-kube/oci';
import { startRegistry, type RunningRegistry } from './helpers';

/** Every file under the storage root (except in-progress upload sessions) with its content hash. */
function snapshot(root: string, skip: string[] = ['uploads']): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir)) {
      if (!rel && skip.includes(e)) continue;
      const p = join(dir, e);
      const r = rel ? `${rel}/${e}` : e;
      if (statSync(p).isDirectory()) walk(p, r);
      else out[r] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(root, '');
  return out;
}

/** A raw HTTP request, so paths are sent exactly as written (fetch would normalise `..`). */
function raw(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: Buffer) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function code(body: string): string | undefined {
  return (JSON.parse(body) as { errors: Array<{ code: string }> }).errors[0]?.code;
}

describe('bad input changes nothing', () => {
  let reg: RunningRegistry;
  const layer = Buffer.from('layer content for bad input tests');
  const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
  beforeAll(async () => {
    reg = await startRegistry();
    for (const b of [layer, config]) {
      const res = await fetch(`${reg.url}/v2/good/repo/blobs/uploads/?digest=${digestOf(b)}`, { method: 'POST', body: b });
      expect(res.status).toBe(201);
    }
  }, 90_000);
  afterAll(async () => {
    await reg?.stop();
  });

  async function unchanged<T>(fn: () => Promise<T>): Promise<T> {
    const before = snapshot(reg.storageDir);
    const result = await fn();
    expect(snapshot(reg.storageDir)).toEqual(before);
    return result;
  }

  it('rejects path traversal and invalid repository names', async () => {
    for (const path of [
      '/v2/../../etc/manifests/latest',
      '/v2/good/../../../tmp/manifests/latest',
      '/v2/%2e%2e/blobs/uploads/',
      '/v2/Upper/Case/manifests/latest',
      '/v2/_layers/x/manifests/latest',
      '/v2/good//repo/tags/list',
    ]) {
      const res = await unchanged(() => raw(reg.url, path.includes('uploads') ? 'POST' : 'PUT', path, { 'content-type': MediaType.ociManifest }, Buffer.from('{}')));
      expect(res.status, path).toBe(400);
      expect(code(res.body), path).toBe('NAME_INVALID');
    }
  });

  it('rejects malformed and mismatched digests', async () => {
    const bad = await unchanged(() => raw(reg.url, 'GET', '/v2/good/repo/blobs/sha256:xyz'));
    expect(bad.status).toBe(400);
    expect(code(bad.body)).toBe('DIGEST_INVALID');
    const wrong = await unchanged(() =>
      raw(reg.url, 'POST', `/v2/good/repo/blobs/uploads/?digest=${digestOf('something else')}`, {}, Buffer.from('actual bytes')),
    );
    expect(wrong.status).toBe(400);
    expect(code(wrong.body)).toBe('DIGEST_INVALID');
    expect((await fetch(`${reg.url}/v2/good/repo/blobs/${digestOf('something else')}`, { method: 'HEAD' })).status).toBe(404);
    expect((await fetch(`${reg.url}/v2/good/repo/blobs/${digestOf('actual bytes')}`, { method: 'HEAD' })).status).toBe(404);
  });

  it('rejects a manifest that references missing blobs', async () => {
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
        layers: [{ mediaType: MediaType.ociLayerGzip, digest: digestOf('never pushed'), size: 12 }],
      }),
    );
    const res = await unchanged(() => raw(reg.url, 'PUT', '/v2/good/repo/manifests/v1', { 'content-type': MediaType.ociManifest }, manifest));
    expect(res.status).toBe(400);
    expect(code(res.body)).toBe('MANIFEST_BLOB_UNKNOWN');
  });

  it('rejects invalid manifests and manifests over 4 MiB', async () => {
    const notJson = await unchanged(() => raw(reg.url, 'PUT', '/v2/good/repo/manifests/v1', { 'content-type': MediaType.ociManifest }, Buffer.from('{nope')));
    expect(notJson.status).toBe(400);
    expect(code(notJson.body)).toBe('MANIFEST_INVALID');
    const huge = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: digestOf(config), size: config.length },
        layers: [],
        annotations: { padding: 'x'.repeat(4 * 1024 * 1024) },
      }),
    );
    const res = await unchanged(() => raw(reg.url, 'PUT', '/v2/good/repo/manifests/big', { 'content-type': MediaType.ociManifest }, huge));
    expect(res.status).toBe(413);
    expect(code(res.body)).toBe('MANIFEST_INVALID');
    const badTag = await unchanged(() => raw(reg.url, 'PUT', '/v2/good/repo/manifests/-bad-tag', { 'content-type': MediaType.ociManifest }, Buffer.from('{}')));
    expect(badTag.status).toBe(400);
  });

  it('answers 416 to an out-of-order or malformed Content-Range and keeps the upload as it was', async () => {
    const post = await fetch(`${reg.url}/v2/good/repo/blobs/uploads/`, { method: 'POST' });
    expect(post.status).toBe(202);
    const location = post.headers.get('location') as string;
    const first = await raw(reg.url, 'PATCH', location, { 'content-range': '0-3', 'content-type': 'application/octet-stream' }, Buffer.from('abcd'));
    expect(first.status).toBe(202);
    expect(first.headers.range).toBe('0-3');
    const data = join(reg.storageDir, 'uploads', location.split('/').pop() as string, 'data');
    for (const range of ['10-13', '2-5', 'junk']) {
      const res = await unchanged(() => raw(reg.url, 'PATCH', location, { 'content-range': range }, Buffer.from('efgh')));
      expect(res.status, range).toBe(416);
      expect(readFileSync(data, 'utf8')).toBe('abcd');
    }
    const status = await fetch(`${reg.url}${location}`);
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-3');
    const put = await fetch(`${reg.url}${location}?digest=${digestOf('abcdefgh')}`, {
      method: 'PUT',
      headers: { 'content-range': '4-7' },
      body: Buffer.from('efgh'),
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(digestOf('abcdefgh'));
  });
});
