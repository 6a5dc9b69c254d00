// The CSI server on a unix socket: identity over a real grpc-js client, and the raw HTTP/2
// proof that clients sending an empty or socket-path `:authority` (old grpc-go: kubelet,
// sidecars) get valid replies — while plain grpc-js without the fix resets them.
import http2 from 'node:http2';
import net from 'node:net';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type csi } from '@mikrotik-kube/proto';
import { createLogger } from '@mikrotik-kube/service-kit';
import { identityHandlers, startCsiServer, type CsiServer } from '../src/index';

const logger = createLogger('csi-server-test', 'error');

/** One raw gRPC unary call over HTTP/2 on a unix socket with the given :authority. */
async function rawCall(sock: string, authority: string, path: string, times = 1) {
  const session = http2.connect('http://localhost', { createConnection: () => net.connect(sock) });
  session.on('error', () => undefined);
  const results: Array<{ status?: number; grpcStatus?: string; body: Buffer; rst: number }> = [];
  try {
    for (let i = 0; i < times; i++) {
      const req = session.request({
        ':method': 'POST',
        ':path': path,
        ':authority': authority,
        'content-type': 'application/grpc',
        te: 'trailers',
        'x-request': `n${i}`,
      });
      req.end(Buffer.from([0, 0, 0, 0, 0])); // uncompressed, empty message
      const chunks: Buffer[] = [];
      const r: { status?: number; grpcStatus?: string; body: Buffer; rst: number } = { body: Buffer.alloc(0), rst: 0 };
      req.on('response', (h) => (r.status = h[':status'] as number));
      req.on('trailers', (t) => (r.grpcStatus = t['grpc-status'] as string));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', () => undefined);
      await new Promise<void>((res) => req.on('close', () => res()));
      r.body = Buffer.concat(chunks);
      r.rst = req.rstCode ?? 0;
      results.push(r);
    }
  } finally {
    session.close();
  }
  return results;
}

describe('csi server on a unix socket', () => {
  let dir: string;
  let server: CsiServer;
  let plain: CsiServer;
  let probeOk = true;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'csi-common-'));
    // A stale socket file from a "previous run" must not stop the start.
    const stale = net.createServer();
    await new Promise<void>((r) => stale.listen(join(dir, 'csi.sock'), () => r()));
    await new Promise<void>((r) => {
      // Close without unlinking: simulate a crashed process by leaving the file.
      (stale as unknown as { _handle: { close(): void } })._handle.close();
      r();
    });
    const services = [
      {
        definition: contracts.csi().Identity.service,
        impl: identityHandlers({ version: '1.2.3', services: ['CONTROLLER_SERVICE'], onlineExpansion: true, probe: () => probeOk }),
      },
    ];
    server = await startCsiServer({ endpoint: `unix://${join(dir, 'csi.sock')}`, logger, metrics: new Registry(), services });
    plain = await startCsiServer({
      endpoint: `unix://${join(dir, 'plain.sock')}`,
      logger,
      metrics: new Registry(),
      services,
      authorityFix: false,
    });
  });
  afterAll(async () => {
    await server?.stop(1000);
    await plain?.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves Identity to a grpc-js client: name, version, capabilities, probe', async () => {
    const client = createClient(contracts.csi().Identity, `unix://${server.socketPath}`, { maxAttempts: 1 });
    const info = (await unary(client, 'GetPluginInfo', {})) as csi.GetPluginInfoResponse__Output;
    expect(info.name).toBe('rds.csi.srvlab.io');
    expect(info.vendor_version).toBe('1.2.3');
    const caps = (await unary(client, 'GetPluginCapabilities', {})) as csi.GetPluginCapabilitiesResponse__Output;
    expect(caps.capabilities.map((c) => c.service?.type ?? c.volume_expansion?.type)).toEqual(['CONTROLLER_SERVICE', 'ONLINE']);
    expect(((await unary(client, 'Probe', {})) as csi.ProbeResponse__Output).ready?.value).toBe(true);
    probeOk = false;
    expect(((await unary(client, 'Probe', {})) as csi.ProbeResponse__Output).ready?.value).toBe(false);
    probeOk = true;
    client.close();
  });

  it('plain grpc-js resets streams with an empty or socket-path :authority (the bug being fixed)', async () => {
    for (const auth of ['', plain.socketPath]) {
      const [r] = await rawCall(plain.socketPath, auth, '/csi.v1.Identity/GetPluginInfo');
      expect(r?.status).toBeUndefined();
      expect(r?.rst).toBe(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    }
  });

  for (const [label, auth] of [
    ['empty', ''],
    ['socket path', '/var/lib/kubelet/plugins/rds.csi.srvlab.io/csi.sock'],
    ['localhost', 'localhost'],
  ] as const) {
    it(`answers a raw HTTP/2 gRPC call with ${label} :authority (3 calls on one connection)`, async () => {
      const before = server.authorityRewrites();
      const results = await rawCall(server.socketPath, auth, '/csi.v1.Identity/GetPluginInfo', 3);
      for (const r of results) {
        expect(r.rst).toBe(0);
        expect(r.status).toBe(200);
        expect(r.grpcStatus).toBe('0');
        // gRPC frame: flag 0, 4-byte length, then GetPluginInfoResponse with the name in field 1.
        expect(r.body[0]).toBe(0);
        expect(r.body.readUInt32BE(1)).toBe(r.body.length - 5);
        expect(r.body.subarray(5).toString('latin1')).toContain('rds.csi.srvlab.io');
      }
      expect(server.authorityRewrites() - before).toBe(auth === 'localhost' ? 0 : 3);
    });
  }

  it('refuses to remove a non-socket file at the endpoint path', async () => {
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'x');
    await expect(
      startCsiServer({ endpoint: `unix://${file}`, logger, metrics: new Registry(), services: [], authorityFix: false }),
    ).rejects.toThrow(/not a socket/);
    expect(existsSync(file)).toBe(true);
  });
});
