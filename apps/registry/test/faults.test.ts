// Faults a client or a crash can cause: requests dropped mid-body, a kill -9 in
// the middle of a write. None may wedge a session, leak descriptors or leave files.
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestOf } from '@mikrotik-kube/oci';
import { waitFor } from '@mikrotik-kube/test-support';
import { startRegistry, type RunningRegistry } from './helpers';

/**
 * Sends the request head and `sent` bytes of a body declared as `declared` bytes,
 * waits until the server has taken them, then drops the connection.
 */
async function dropMidBody(host: string, method: string, path: string, declared: number, sent: number, headers: Record<string, string> = {}) {
  const [hostname, port] = host.split(':') as [string, string];
  const sock = connect(Number(port), hostname);
  await new Promise<void>((r, j) => sock.once('connect', r).once('error', j));
  const head = [`${method} ${path} HTTP/1.1`, `host: ${host}`, `content-length: ${declared}`, 'content-type: application/octet-stream'];
  for (const [k, v] of Object.entries(headers)) head.push(`${k}: ${v}`);
  sock.write(`${head.join('\r\n')}\r\n\r\n`);
  sock.write(Buffer.alloc(sent, 7));
  await new Promise((r) => setTimeout(r, 150));
  sock.destroy();
}

const openFds = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

describe('a client dropping its connection mid-body', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
  }, 90_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('leaves a chunked upload resumable at its last committed offset, without leaking descriptors', async () => {
    const post = await fetch(`${reg.url}/v2/drop/patch/blobs/uploads/`, { method: 'POST' });
    expect(post.status).toBe(202);
    const location = post.headers.get('location') as string;
    const first = Buffer.alloc(1000, 1);
    const ok = await fetch(`${reg.url}${location}`, { method: 'PATCH', headers: { 'content-range': '0-999' }, body: first });
    expect(ok.status).toBe(202);
    const fdsBefore = openFds(reg.proc.pid);
    for (let i = 0; i < 20; i++) await dropMidBody(reg.host, 'PATCH', location, 5000, 100, { 'content-range': '1000-5999' });
    // Every dropped chunk was cut back: the session is where the last complete chunk left it.
    const status = await waitFor(async () => {
      const res = await fetch(`${reg.url}${location}`);
      return res.headers.get('range') === '0-999' ? res : undefined;
    }, 10_000);
    expect(status.status).toBe(204);
    const data = join(reg.storageDir, 'uploads', location.split('/').pop() as string, 'data');
    expect(readdirSync(join(data, '..'))).toContain('data');
    // The retry is accepted (before the fix: 416 "receiving another chunk", for good).
    const second = Buffer.alloc(5000, 2);
    const retry = await fetch(`${reg.url}${location}`, { method: 'PATCH', headers: { 'content-range': '1000-5999' }, body: second });
    expect(retry.status).toBe(202);
    expect(retry.headers.get('range')).toBe('0-5999');
    const digest = digestOf(Buffer.concat([first, second]));
    const put = await fetch(`${reg.url}${location}?digest=${digest}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    // Descriptors of the dropped chunks were closed (before the fix: +2 per drop).
    await waitFor(() => openFds(reg.proc.pid) <= fdsBefore + 3, 10_000);
  }, 60_000);

  it('frees a monolithic upload: no session, no partial data, no descriptors left', async () => {
    const body = Buffer.alloc(4000, 3);
    const digest = digestOf(body);
    const fdsBefore = openFds(reg.proc.pid);
    for (let i = 0; i < 20; i++) await dropMidBody(reg.host, 'POST', `/v2/drop/mono/blobs/uploads/?digest=${digest}`, 4000, 500);
    await waitFor(() => readdirSync(join(reg.storageDir, 'uploads')).length === 0, 10_000);
    await waitFor(() => openFds(reg.proc.pid) <= fdsBefore + 3, 10_000);
    const res = await fetch(`${reg.url}/v2/drop/mono/blobs/uploads/?digest=${digest}`, { method: 'POST', body });
    expect(res.status).toBe(201);
  }, 60_000);
});

describe('a kill -9 in the middle of a write', () => {
  it('leaves temp files that the next start removes, and nothing else', async () => {
    const first = await startRegistry();
    const layer = Buffer.from('kill -9 layer');
    expect((await fetch(`${first.url}/v2/crash/app/blobs/uploads/?digest=${digestOf(layer)}`, { method: 'POST', body: layer })).status).toBe(201);
    await first.proc.stop('SIGKILL');
    // What writeFileAtomic and the upstream fetcher leave when killed between write and rename.
    const root = first.storageDir;
    const tags = join(root, 'repositories', 'crash', 'app', '_manifests', 'tags');
    mkdirSync(tags, { recursive: true });
    const leftovers = [join(tags, '.tmp-0a1b2c3d4e5f'), join(root, 'repositories', 'crash', 'app', '.tmp-ffeeddccbbaa'), join(root, 'tmp', 'fetch-1234')];
    const blobDir = readdirSync(join(root, 'blobs', 'sha256'))[0] as string;
    leftovers.push(join(root, 'blobs', 'sha256', blobDir, '.tmp-001122334455'));
    const fresh = join(tags, '.tmp-beingwritten');
    for (const f of [...leftovers, fresh]) writeFileSync(f, 'partial');
    // Older than the grace a writer gets; the fresh one may belong to a live replica on shared storage.
    const past = new Date(Date.now() - 5 * 60_000);
    for (const f of leftovers) utimesSync(f, past, past);
    const second = await startRegistry([], root);
    try {
      for (const f of leftovers) expect(existsSync(f), f).toBe(false);
      expect(existsSync(fresh)).toBe(true);
      expect(second.proc.output()).toMatch(/"count":4.*removed leftover temp files/);
      const head = await fetch(`${second.url}/v2/crash/app/blobs/${digestOf(layer)}`, { method: 'HEAD' });
      expect(head.status).toBe(200);
    } finally {
      await second.stop();
    }
  }, 90_000);
});
