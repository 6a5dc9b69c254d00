// The one-time URL server on its own: a token serves its file once, within its TTL, and
// nothing else is reachable.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchServer } from '../src/delivery-fetch';

describe('FetchServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fetch-server-'));
  const file = join(dir, 'image.tar');
  const server = new FetchServer({ host: '127.0.0.1', port: 0, tokenTtlMs: 200 });
  let base = '';
  beforeAll(async () => {
    writeFileSync(file, Buffer.alloc(100_000, 7));
    base = await server.start();
  });
  afterAll(() => server.stop());

  it('serves a token once, bound to its file', async () => {
    let sent = 0;
    const offer = server.offer(file, 100_000, (n) => (sent = n));
    const first = await fetch(offer.url);
    expect(first.status).toBe(200);
    expect(Buffer.from(await first.arrayBuffer()).equals(Buffer.alloc(100_000, 7))).toBe(true);
    expect(sent).toBe(100_000);
    expect((await fetch(offer.url)).status).toBe(404);
    expect(server.pending).toBe(0);
  });

  it('refuses expired, revoked, unknown and malformed tokens', async () => {
    const expired = server.offer(file, 100_000, () => undefined);
    await new Promise((r) => setTimeout(r, 300));
    expect((await fetch(expired.url)).status).toBe(404);
    const revoked = server.offer(file, 100_000, () => undefined);
    revoked.revoke();
    expect((await fetch(revoked.url)).status).toBe(404);
    for (const path of [`/deliver/${'a'.repeat(64)}`, '/deliver/../../etc/passwd', '/', `/deliver/${'A'.repeat(64)}`]) {
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    }
    const live = server.offer(file, 100_000, () => undefined);
    expect((await fetch(live.url, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(live.url)).status).toBe(404); // a refused method burns the token too
  });
});
