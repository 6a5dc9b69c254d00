// RegistryClient's transport against real HTTP servers on loopback: a registry that
// wants Bearer tokens (and revokes them) and redirects blob GETs to a storage server
// on another origin, the way registries backed by object storage do.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RegistryClient, RegistryHttpError } from './client';
import { DigestError, VerifyingStream, digestOf, parseDigest } from './digest';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const blob = randomBytes(3 * 1024 * 1024 + 17);
const digest = digestOf(blob);

/** Collects a stream into one buffer, failing as the stream fails. */
async function collect(stream: NodeJS.ReadableStream, verify?: VerifyingStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  await (verify ? pipeline(stream, verify, sink) : pipeline(stream, sink));
  return Buffer.concat(chunks);
}

describe('RegistryClient over node:http', () => {
  let registry: { server: Server; url: string };
  let storage: { server: Server; url: string };
  const tokens = new Set<string>();
  let storageAuth: Array<string | undefined> = [];
  let registryAuth: Array<string | undefined> = [];
  let tokenRequests = 0;
  /** What the storage server does with a blob request. */
  let storageMode: 'ok' | 'corrupt' | 'truncate' | 'stall' = 'ok';
  let storageClosed: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    storage = await serve((req, res) => {
      storageAuth.push(req.headers.authorization);
      storageClosed = new Promise((r) => res.on('close', r));
      res.setHeader('content-length', blob.length);
      if (storageMode === 'ok') res.end(blob);
      else if (storageMode === 'corrupt') res.end(Buffer.concat([blob.subarray(0, -1), Buffer.from([(blob.at(-1) ?? 0) ^ 1])]));
      else if (storageMode === 'truncate') {
        res.write(blob.subarray(0, 1 << 20));
        setTimeout(() => res.destroy(), 20);
      } else res.write(blob.subarray(0, 1 << 20)); // stall: never finishes
    });
    registry = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests++;
        const token = randomBytes(8).toString('hex');
        tokens.add(token);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ token }));
        return;
      }
      registryAuth.push(req.headers.authorization);
      const auth = req.headers.authorization ?? '';
      if (!tokens.has(auth.replace(/^Bearer /, ''))) {
        res.statusCode = 401;
        res.setHeader('www-authenticate', `Bearer realm="${registry.url}/token",service="test",scope="repository:r/blob:pull"`);
        res.end();
        return;
      }
      if (url.pathname === `/v2/r/blob/blobs/${digest}`) {
        res.statusCode = 307;
        res.setHeader('location', `${storage.url}/data/${digest.slice(7)}?sig=abc`);
        res.end();
      } else if (url.pathname === `/v2/same/blob/blobs/${digest}`) {
        res.statusCode = 302;
        res.setHeader('location', `/v2/same/storage/${digest.slice(7)}`);
        res.end();
      } else if (url.pathname === `/v2/same/storage/${digest.slice(7)}`) {
        res.end(blob);
      } else if (url.pathname === '/v2/loop/blob/blobs/' + digest) {
        res.statusCode = 302;
        res.setHeader('location', url.pathname);
        res.end();
      } else if (url.pathname === '/v2/hang/blob/blobs/' + digest) {
        // never answers
      } else {
        res.statusCode = 404;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ errors: [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry' }] }));
      }
    });
  });
  afterAll(async () => {
    for (const s of [registry, storage]) {
      s?.server.closeAllConnections();
      await new Promise((r) => s?.server.close(r));
    }
  });
  beforeEach(() => {
    storageMode = 'ok';
    storageAuth = [];
    registryAuth = [];
    tokenRequests = 0;
  });

  it('follows a blob redirect to another origin without sending it our Authorization', async () => {
    const client = new RegistryClient({ baseUrl: registry.url });
    const got = await client.getBlob('r/blob', digest);
    expect(got.size).toBe(blob.length);
    expect((await collect(got.stream, new VerifyingStream(parseDigest(digest), got.size))).equals(blob)).toBe(true);
    expect(storageAuth).toEqual([undefined]);
    expect(registryAuth.at(-1)).toMatch(/^Bearer /);
    expect(tokenRequests).toBe(1);
  });

  it('keeps Authorization on a same-origin redirect', async () => {
    const client = new RegistryClient({ baseUrl: registry.url });
    const got = await client.getBlob('same/blob', digest);
    expect((await collect(got.stream)).equals(blob)).toBe(true);
    // 401, then the blob URL and the redirect target, both with the token
    expect(registryAuth).toHaveLength(3);
    expect(registryAuth.slice(1).every((a) => a?.startsWith('Bearer '))).toBe(true);
  });

  it('gets a new token when the registry stops accepting the cached one', async () => {
    const client = new RegistryClient({ baseUrl: registry.url });
    await collect((await client.getBlob('r/blob', digest)).stream);
    tokens.clear();
    await collect((await client.getBlob('r/blob', digest)).stream);
    expect(tokenRequests).toBe(2);
  });

  it('fails a wrong blob in the digest check and a cut-off blob in the stream', async () => {
    const client = new RegistryClient({ baseUrl: registry.url });
    storageMode = 'corrupt';
    let got = await client.getBlob('r/blob', digest);
    await expect(collect(got.stream, new VerifyingStream(parseDigest(digest), got.size))).rejects.toBeInstanceOf(DigestError);
    storageMode = 'truncate';
    got = await client.getBlob('r/blob', digest);
    await expect(collect(got.stream, new VerifyingStream(parseDigest(digest), got.size))).rejects.toThrow(/aborted|reset|premature/i);
  });

  it('aborts a body in flight and closes the connection', async () => {
    const client = new RegistryClient({ baseUrl: registry.url });
    storageMode = 'stall';
    const ac = new AbortController();
    const got = await client.getBlob('r/blob', digest, { signal: ac.signal });
    const done = collect(got.stream);
    setTimeout(() => ac.abort(new Error('caller gave up')), 50);
    await expect(done).rejects.toThrow(/caller gave up/);
    await storageClosed;
  });

  it('fails a body that stalls and a request whose headers never come', async () => {
    const client = new RegistryClient({ baseUrl: registry.url, timeoutMs: 300, bodyIdleTimeoutMs: 200 });
    storageMode = 'stall';
    const got = await client.getBlob('r/blob', digest);
    await expect(collect(got.stream)).rejects.toThrow(/stalled/);
    await expect(client.getBlob('hang/blob', digest)).rejects.toThrow(/timed out/);
  });

  it('reports registry errors with their codes and refuses endless redirects', async () => {
    const client = new RegistryClient({ baseUrl: registry.url });
    const err = await client.getBlob('absent/blob', digest).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryHttpError);
    expect(err).toMatchObject({ status: 404, codes: ['BLOB_UNKNOWN'] });
    await expect(client.getBlob('loop/blob', digest)).rejects.toThrow(/redirects/);
  });
});
