// The fetch URL server on its own, two replicas of it sharing a signing key: a token serves its
// file once per replica, within its TTL, from whichever replica holds the file or, relayed,
// from the issuer; a forged, altered, expired or foreign-key token serves nothing, and nothing
// else is reachable.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FetchServer } from '../src/delivery-fetch';
import { FetchSigner } from '../src/fetch-token';

const FILE = `${'ab'.repeat(32)}-arm64.tar`;
const SIZE = 100_000;

describe('FetchServer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fetch-server-'));
  const path = join(dir, FILE);
  const key = randomBytes(32);
  // The issuer holds the file; the other replica does not, and relays from the issuer.
  const held = new Set([FILE]);
  const replica = (peerUrl: string, files: Set<string>, signKey = key) =>
    new FetchServer({ host: '127.0.0.1', port: 0, peerUrl, tokenTtlMs: 300, signer: new FetchSigner(signKey), local: (f) => (files.has(f) ? { path, size: SIZE } : undefined) });
  let issuer: FetchServer;
  let other: FetchServer;
  let otherBase = '';
  beforeAll(async () => {
    writeFileSync(path, Buffer.alloc(SIZE, 7));
    // peerUrl is known only once listening: start on a fixed free port by a first server.
    const probe = replica('', held);
    const base = await probe.start();
    await probe.stop();
    issuer = new FetchServer({ host: '127.0.0.1', port: Number(new URL(base).port), peerUrl: base, tokenTtlMs: 300, signer: new FetchSigner(key), local: (f) => (held.has(f) ? { path, size: SIZE } : undefined) });
    await issuer.start();
    other = replica('', new Set());
    otherBase = await other.start();
  });
  afterAll(async () => {
    await issuer.stop();
    await other.stop();
  });
  const elsewhere = (url: string) => `${otherBase}${new URL(url).pathname}`;

  it('serves a token once per replica, bound to its file, and reports the bytes to the issuer', async () => {
    let sent = 0;
    const offer = issuer.offer(FILE, SIZE, (n) => (sent = n));
    const first = await fetch(offer.url);
    expect(first.status).toBe(200);
    expect(Buffer.from(await first.arrayBuffer()).equals(Buffer.alloc(SIZE, 7))).toBe(true);
    expect(sent).toBe(SIZE);
    expect((await fetch(offer.url)).status).toBe(404);
    offer.revoke();
    expect(issuer.pending).toBe(0);
  });

  it('a replica without the file serves a token the issuer signed, relayed from the issuer', async () => {
    let sent = 0;
    const offer = issuer.offer(FILE, SIZE, (n) => (sent = n));
    const res = await fetch(elsewhere(offer.url));
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.alloc(SIZE, 7))).toBe(true);
    expect(sent).toBe(SIZE);
    expect((await fetch(elsewhere(offer.url))).status).toBe(404);
    offer.revoke();
  });

  it('refuses expired, revoked, altered, foreign-key and malformed tokens', async () => {
    const expired = issuer.offer(FILE, SIZE, () => undefined);
    await new Promise((r) => setTimeout(r, 400));
    expect((await fetch(expired.url)).status).toBe(404);
    const revoked = issuer.offer(FILE, SIZE, () => undefined);
    revoked.revoke();
    expect((await fetch(revoked.url)).status).toBe(404);
    // Another key signs a token for the same file: neither replica accepts it.
    const stranger = replica('', held, randomBytes(32));
    await stranger.start();
    const foreign = stranger.offer(FILE, SIZE, () => undefined);
    await stranger.stop();
    expect((await fetch(`${otherBase}${new URL(foreign.url).pathname}`)).status).toBe(404);
    // One character of the payload changed (another size), the signature kept.
    const live = issuer.offer(FILE, SIZE, () => undefined);
    const token = new URL(live.url).pathname.split('/')[2] ?? '';
    const [payload = '', mac = ''] = token.split('.');
    const altered = Buffer.from(JSON.stringify([FILE, SIZE - 1, Date.now() + 60_000, ''])).toString('base64url');
    for (const path of [`/deliver/${altered}.${mac}`, `/deliver/${payload.slice(1)}.${mac}`, `/deliver/${'a'.repeat(64)}`, '/deliver/../../etc/passwd', '/']) {
      expect((await fetch(`${otherBase}${path}`)).status, path).toBe(404);
    }
    expect((await fetch(live.url, { method: 'POST', body: 'x' })).status).toBe(404);
    expect((await fetch(live.url)).status).toBe(404); // a refused method burns the token too
  });
});

describe('FetchSigner', () => {
  it('needs a key of at least 32 bytes', () => {
    expect(() => new FetchSigner(Buffer.alloc(31))).toThrow(/at least 32 bytes, got 31/);
  });
});
