// The kit exercised for real: a service process started with tsx, scraped
// over HTTP, called over gRPC (health, deadlines, retries), drained on SIGTERM.
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { kube } from '@mikrotik-kube/proto';
import { freePort, startTsProcess, waitFor } from '@mikrotik-kube/test-support';
import { createClient, status, unary } from '../src';

const ENTRY = 'libs/grpc-kit/test/fixtures/echo-service.ts';
const def = protoLoader.loadSync(join(import.meta.dirname, 'fixtures/echo.proto'), { keepCase: true, defaults: true });
const Echo = (grpc.loadPackageDefinition(def) as unknown as { kit: { test: { v1: { Echo: grpc.ServiceClientConstructor } } } })
  .kit.test.v1.Echo;
const healthDef = protoLoader.loadSync(require.resolve('grpc-health-check/proto/health/v1/health.proto'), {
  keepCase: true,
  enums: String,
});
const Health = (grpc.loadPackageDefinition(healthDef) as unknown as { grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } } })
  .grpc.health.v1.Health;

// Hand-written only for the test fixture's contract (echo.proto has no generated types).
interface EchoClient extends grpc.Client {
  Say(
    argument: { text: string; delay_ms?: number; fail_code?: number },
    callback: grpc.requestCallback<{ text: string }>,
  ): grpc.ClientUnaryCall;
}
interface HealthClient extends grpc.Client {
  Check(argument: { service: string }, callback: grpc.requestCallback<{ status: string }>): grpc.ClientUnaryCall;
}

async function startEcho(extraEnv: Record<string, string> = {}) {
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const proc = startTsProcess(ENTRY, {
    env: {
      ECHO_HTTP_HOST: '127.0.0.1',
      ECHO_HTTP_PORT: String(httpPort),
      ECHO_GRPC_HOST: '127.0.0.1',
      ECHO_GRPC_PORT: String(grpcPort),
      ECHO_REQUIRED_TOKEN: 't',
      ...extraEnv,
    },
  });
  await proc.waitForLine(/"message":"ready"/);
  return { proc, http: `http://127.0.0.1:${httpPort}`, grpcAddr: `127.0.0.1:${grpcPort}` };
}

function jsonLines(out: string): Array<Record<string, unknown>> {
  return out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('service kit in a real process', () => {
  let svc: Awaited<ReturnType<typeof startEcho>>;
  let client: EchoClient;
  beforeAll(async () => {
    svc = await startEcho({ ECHO_GREETING: 'hi', ECHO_LOG_LEVEL: 'debug' });
    client = createClient(Echo as never, svc.grpcAddr, { deadlineMs: 500 }) as EchoClient;
  });
  afterAll(async () => {
    client?.close();
    await svc?.proc.stop();
  });

  it('serves /healthz, /readyz and JSON logs', async () => {
    expect((await fetch(`${svc.http}/healthz`)).status).toBe(200);
    const ready = await fetch(`${svc.http}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ok\n');
    expect((await fetch(`${svc.http}/nope`)).status).toBe(404);
    const logs = jsonLines(svc.proc.output());
    expect(logs.length).toBeGreaterThan(1);
    expect(logs.every((l) => l['service'] === 'echo' && typeof l['timestamp'] === 'string')).toBe(true);
  });

  it('answers gRPC health checks', async () => {
    const health = createClient(Health as never, svc.grpcAddr) as HealthClient;
    const overall = await unary(health, 'Check', { service: '' });
    expect(overall).toEqual({ status: 'SERVING' });
    const echo = await unary(health, 'Check', { service: 'kit.test.v1.Echo' });
    expect(echo).toEqual({ status: 'SERVING' });
    await expect(unary(health, 'Check', { service: 'nope' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    health.close();
  });

  it('serves calls and counts them in /metrics by code', async () => {
    expect(await unary(client, 'Say', { text: 'there' })).toEqual({ text: 'hi there' });
    await expect(unary(client, 'Say', { text: 'x', fail_code: status.NOT_FOUND })).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: 'asked to fail with 5',
    });
    const stream = (client as unknown as { Count(r: unknown): grpc.ClientReadableStream<{ text: string }> }).Count({ count: 3 });
    const got: string[] = [];
    for await (const m of stream) got.push((m as { text: string }).text);
    expect(got).toEqual(['0', '1', '2']);
    const metrics = await (await fetch(`${svc.http}/metrics`)).text();
    expect(metrics).toMatch(/mikrotik_kube_grpc_server_handled_total\{grpc_service="kit.test.v1.Echo",grpc_method="Say",grpc_code="OK",service="echo"\} 1/);
    expect(metrics).toMatch(/mikrotik_kube_grpc_server_handled_total\{grpc_service="kit.test.v1.Echo",grpc_method="Say",grpc_code="NOT_FOUND",service="echo"\} 1/);
    expect(metrics).toMatch(/mikrotik_kube_grpc_server_handled_total\{grpc_service="kit.test.v1.Echo",grpc_method="Count",grpc_code="OK",service="echo"\} 1/);
    expect(metrics).toMatch(/mikrotik_kube_grpc_server_handling_seconds_bucket\{le="0.005",service="echo",grpc_service="kit.test.v1.Echo",grpc_method="Say"\} [12]/);
    expect(metrics).toMatch(/process_resident_memory_bytes\{service="echo"\}/);
  });

  it('applies the default deadline', async () => {
    const started = Date.now();
    await expect(unary(client, 'Say', { text: 'slow', delay_ms: 2000 })).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
    expect(Date.now() - started).toBeLessThan(1500);
  });
});

describe('client retry', () => {
  it('retries UNAVAILABLE until the server comes up', async () => {
    const port = await freePort();
    const client = createClient(Echo as never, `127.0.0.1:${port}`, {
      deadlineMs: 20_000,
      maxAttempts: 5,
      initialBackoffMs: 1000,
      maxBackoffMs: 4000,
    }) as EchoClient;
    // Nothing listens yet: the first attempts fail UNAVAILABLE and are retried with backoff.
    const call = unary(client, 'Say', { text: 'late' });
    const proc = startTsProcess(ENTRY, {
      env: { ECHO_HTTP_HOST: '127.0.0.1', ECHO_HTTP_PORT: '0', ECHO_GRPC_HOST: '127.0.0.1', ECHO_GRPC_PORT: String(port), ECHO_REQUIRED_TOKEN: 't' },
    });
    try {
      expect(await call).toEqual({ text: 'hello late' });
    } finally {
      client.close();
      await proc.stop();
    }
  });

  it('does not retry other codes', async () => {
    const svc = await startEcho();
    const client = createClient(Echo as never, svc.grpcAddr, { maxAttempts: 5 }) as EchoClient;
    await expect(unary(client, 'Say', { text: 'x', fail_code: status.INTERNAL })).rejects.toMatchObject({ code: status.INTERNAL });
    const metrics = await (await fetch(`${svc.http}/metrics`)).text();
    expect(metrics).toMatch(/mikrotik_kube_grpc_server_started_total\{grpc_service="kit.test.v1.Echo",grpc_method="Say",service="echo"\} 1/);
    client.close();
    await svc.proc.stop();
  });
});

describe('SIGTERM', () => {
  it('drains the in-flight call, turns unready, and exits 0', async () => {
    const svc = await startEcho();
    const client = createClient(Echo as never, svc.grpcAddr, { deadlineMs: 10_000 }) as EchoClient;
    const inFlight = unary(client, 'Say', { text: 'drain', delay_ms: 1500 });
    await new Promise((r) => setTimeout(r, 300));
    svc.proc.child.kill('SIGTERM');
    await waitFor(async () => (await fetch(`${svc.http}/readyz`).catch(() => null))?.status === 503, 1000, 20).catch(() => {
      // The ops port may close first on a fast drain; the exit code and the call result below decide.
    });
    expect(await inFlight).toEqual({ text: 'hello drain' });
    const exit = await svc.proc.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    const logs = jsonLines(svc.proc.output()).map((l) => l['message']);
    expect(logs).toContain('shutting down');
    expect(logs.at(-1)).toBe('stopped');
    client.close();
  });

  it('cancels calls that outlast the drain bound and still exits 0 in time', async () => {
    const svc = await startEcho({ ECHO_SHUTDOWN_TIMEOUT_SECONDS: '0.5' });
    const client = createClient(Echo as never, svc.grpcAddr, { deadlineMs: 10_000, maxAttempts: 1 }) as EchoClient;
    const inFlight = unary(client, 'Say', { text: 'stuck', delay_ms: 5000 }).catch((e: grpc.ServiceError) => e);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    svc.proc.child.kill('SIGTERM');
    const exit = await svc.proc.exited;
    expect(Date.now() - started).toBeLessThan(3000);
    expect(exit).toEqual({ code: 0, signal: null });
    const err = (await inFlight) as grpc.ServiceError;
    expect([status.CANCELLED, status.UNAVAILABLE]).toContain(err.code);
    expect(jsonLines(svc.proc.output()).map((l) => l['message'])).toContain('grpc drain timed out, cancelling in-flight calls');
    client.close();
  });
});

describe('config errors at start-up', () => {
  it('exits 2 naming the field and source', async () => {
    const proc = startTsProcess(ENTRY, { env: { ECHO_HTTP_PORT: 'x', ECHO_REQUIRED_TOKEN: 't' } });
    const exit = await proc.exited;
    expect(exit.code).toBe(2);
    expect(proc.output()).toContain('http.port (env ECHO_HTTP_PORT): must be an integer, got "x"');
  });

  it('exits 2 for a missing required value', async () => {
    const proc = startTsProcess(ENTRY, { args: ['--grpc.port', '0'] });
    expect((await proc.exited).code).toBe(2);
    expect(proc.output()).toContain('required (missing): is required (set it in the config file, env ECHO_REQUIRED or flag --required)');
  });
});

describe('typed unary', () => {
  it('infers request and reply types from a generated client', async () => {
    // Compile-time check (tsc runs over tests): the reply is an Allocation, not {}.
    type IpamClient = kube.IpamClient;
    type Reply = Awaited<ReturnType<typeof unary<IpamClient, 'Allocate'>>>;
    const sample: Reply = { owner: 'o', network: 'n', address: '10.0.0.2', prefix_length: 24, gateway: '', dns: [], veth: '', bridge: '' };
    expect(sample.prefix_length).toBe(24);
  });
});
