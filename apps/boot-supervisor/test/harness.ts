// Real processes for the supervisor's end-to-end tests: the RouterOS
// simulator (containers answer real HTTP on 127.x veth addresses) and the
// boot-supervisor itself, driven over gRPC.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { createClient } from '@mikrotik-kube/grpc-kit';
import { contracts, type kube } from '@mikrotik-kube/proto';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { freePort, startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import tar from 'tar-stream';

export type SupervisorClient = InstanceType<ReturnType<typeof contracts.supervisor>['Supervisor']>;

const USER = 'admin';
const PASSWORD = 'sup3r';

/** A minimal single-platform docker-archive, as `docker save` writes it. */
async function imageTarball(): Promise<Buffer> {
  const pack = tar.pack();
  const layer = tar.pack();
  layer.entry({ name: 'app', mode: 0o755 }, '#!/bin/sh\n');
  layer.finalize();
  const layerBytes: Buffer[] = [];
  for await (const c of layer) layerBytes.push(c as Buffer);
  const config = { architecture: 'arm64', os: 'linux', config: { Cmd: ['/app'] } };
  pack.entry({ name: 'config.json' }, JSON.stringify(config));
  pack.entry({ name: 'layer.tar' }, Buffer.concat(layerBytes));
  pack.entry({ name: 'manifest.json' }, JSON.stringify([{ Config: 'config.json', RepoTags: ['test/app:1'], Layers: ['layer.tar'] }]));
  pack.finalize();
  const out: Buffer[] = [];
  for await (const c of pack) out.push(c as Buffer);
  return Buffer.concat(out);
}

export class SimRouter {
  readonly client: RouterOsClient;
  private constructor(
    public proc: ProcessHandle,
    readonly dataDir: string,
    readonly rest: string,
    readonly admin: string,
  ) {
    this.client = new RouterOsClient({ url: rest, username: USER, password: PASSWORD, timeoutMs: 10_000 });
  }

  static async start(): Promise<SimRouter> {
    const dataDir = mkdtempSync(join(tmpdir(), 'boot-sup-sim-'));
    // The image is on the router's disk already, as if copied over SFTP.
    mkdirSync(join(dataDir, 'files', 'img'), { recursive: true });
    writeFileSync(join(dataDir, 'files', 'img', 'app.tar'), await imageTarball());
    const proc = SimRouter.spawn(dataDir, await freePort());
    const line = await proc.waitForLine(/routeros-sim ready/, 90_000);
    const rest = /rest=(\S+)/.exec(line)?.[1];
    const admin = /admin=(\S+)/.exec(line)?.[1];
    if (!rest || !admin) throw new Error(`unexpected ready line: ${line}`);
    return new SimRouter(proc, dataDir, rest, admin);
  }

  private static spawn(dataDir: string, port: number): ProcessHandle {
    return startTsProcess('libs/routeros-sim/src/cli.ts', {
      args: ['--rest-port', String(port), '--data-dir', dataDir, '--user', USER, '--password', PASSWORD, '--extract-ms', '50'],
    });
  }

  /** Restarts the simulator on the same port and state: to the supervisor the router rebooted (uptime starts over). */
  async reboot(): Promise<void> {
    await this.proc.stop();
    this.proc = SimRouter.spawn(this.dataDir, Number(new URL(this.rest).port));
    await this.proc.waitForLine(/routeros-sim ready/, 90_000);
  }

  /** A container on its own veth 127.0.N.2/24, extracted and stopped, answering HTTP on :8080 while it runs. */
  async addContainer(name: string, n: number, httpStatus = 200): Promise<string> {
    const address = `127.0.${n}.2`;
    await this.client.veths.add({ name: `veth-${name}`, addresses: [`${address}/24`], gateway: `127.0.${n}.1` });
    await this.client.containers.add({ name, interfaces: [`veth-${name}`], file: 'img/app.tar', rootDir: `disk1/ct/${name}` });
    await this.client.containers.waitFor(name, ['stopped'], { timeoutMs: 10_000, intervalMs: 50 });
    await this.listen(name, httpStatus);
    return address;
  }

  async listen(name: string, status: number): Promise<void> {
    await this.adminCall('POST', `containers/${encodeURIComponent(name)}/listen`, { port: 8080, kind: 'http', status });
  }

  async crash(name: string): Promise<void> {
    await this.adminCall('POST', `containers/${encodeURIComponent(name)}/crash`, { exitCode: 1 });
  }

  async faults(patch: Record<string, number>): Promise<void> {
    await this.adminCall('PUT', 'faults', patch);
  }

  /** REST calls by route since the last reset, e.g. `POST container/start`. */
  async calls(): Promise<Record<string, number>> {
    return ((await this.adminCall('GET', 'stats')) as { byRoute: Record<string, number> }).byRoute;
  }

  async resetCalls(): Promise<void> {
    await this.adminCall('POST', 'stats/reset', {});
  }

  async state(name: string): Promise<string> {
    return (await this.client.containers.get(name)).state;
  }

  private async adminCall(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.admin.replace(/\/$/, '')}/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const json = (await res.json()) as unknown;
    if (!res.ok) throw new Error(`sim admin ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.proc.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export interface SupervisorProcess {
  proc: ProcessHandle;
  client: SupervisorClient;
  grpcAddress: string;
  /** Prometheus text from /metrics. */
  metrics(): Promise<string>;
  /** HTTP status of /readyz. */
  readyz(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts apps/boot-supervisor/src/main.ts against the simulator with fast test timings. */
export async function startSupervisor(router: SimRouter, extra: string[] = []): Promise<SupervisorProcess> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const proc = startTsProcess('apps/boot-supervisor/src/main.ts', {
    args: [
      ...['--routeros.url', router.rest, '--routeros.user', USER, '--routeros.password', PASSWORD],
      ...['--grpc.host', '127.0.0.1', '--grpc.port', String(grpcPort), '--http.host', '127.0.0.1', '--http.port', String(httpPort)],
      ...['--systemd.poll-interval-ms', '100', '--systemd.start-grace-ms', '0'],
      ...extra,
    ],
    env: { KUBERNETES_SERVICE_HOST: '' },
  });
  await proc.waitForLine(/"message":"ready"/, 90_000);
  const grpcAddress = `127.0.0.1:${grpcPort}`;
  const client = createClient(contracts.supervisor().Supervisor, grpcAddress, { deadlineMs: 10_000 });
  return {
    proc,
    client,
    grpcAddress,
    metrics: async () => (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text(),
    readyz: async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      client.close();
      return proc.stop(signal);
    },
  };
}

export interface Seen extends kube.UnitStatus__Output {
  at: number;
}

/** Records every status the Watch stream delivers. */
export function record(client: SupervisorClient): { events: Seen[]; call: grpc.ClientReadableStream<kube.UnitStatus__Output> } {
  const events: Seen[] = [];
  const call = client.Watch({}, { deadline: Infinity });
  call.on('data', (s: kube.UnitStatus__Output) => events.push({ ...s, at: Date.now() }));
  call.on('error', () => undefined);
  return { events, call };
}

/** A unit whose readiness is an HTTP GET on its own address. */
/** The 6-unit graph of the boot and recovery tests: [name, depends on, priority].
 * dns and ntp first; db and cache need dns; api needs both; web needs api and ntp. */
export const SIX_UNIT_GRAPH: Array<[string, string[], number]> = [
  ['web', ['api', 'ntp'], 0],
  ['api', ['db', 'cache'], 0],
  ['db', ['dns'], 20],
  ['cache', ['dns'], 10],
  ['ntp', [], 5],
  ['dns', [], 10],
];

export function unit(name: string, address: string, dependsOn: string[] = [], priority = 0, over: Partial<kube.Unit> = {}): kube.Unit {
  return {
    name,
    container: name,
    depends_on: dependsOn,
    priority,
    address: `${address}/24`,
    readiness_probe: { http_get: { path: '/ready', port: 8080 }, period_seconds: 1, failure_threshold: 1 },
    ...over,
  };
}

