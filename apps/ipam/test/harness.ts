// Test rig: a simulated router (the Simulator class, real REST over loopback),
// ipam as real processes, gRPC clients to them, and REST reads of the router.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts, type kube } from '@mikrotik-kube/proto';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { Simulator } from '@mikrotik-kube/routeros-sim';
import { type ProcessHandle, freePort, startTsProcess } from '@mikrotik-kube/test-support';
import { stringify } from 'yaml';

export const USER = 'ipam';
export const PASSWORD = 'secret';

export interface NetworkDef {
  name: string;
  bridge: string;
  cidr: string;
  gateway: string;
  dns?: string[];
  rangeStart?: string;
  rangeEnd?: string;
  exclude?: string[];
  default?: boolean;
}

export class Rig {
  readonly dir = mkdtempSync(join(tmpdir(), 'ipam-test-'));
  sim!: Simulator;
  rest!: string;
  admin!: string;
  router!: RouterOsClient;
  private readonly procs: ProcessHandle[] = [];

  async startRouter(bridges: string[], users: Record<string, string> = { [USER]: PASSWORD }): Promise<void> {
    this.sim = new Simulator({ users, dataDir: join(this.dir, 'sim') });
    const urls = await this.sim.start();
    this.rest = urls.rest;
    this.admin = urls.admin;
    this.router = new RouterOsClient({ url: this.rest, username: USER, password: PASSWORD, timeoutMs: 30_000 });
    for (const name of bridges) await this.router.bridges.add({ name });
  }

  async faults(patch: Record<string, number>): Promise<void> {
    const res = await fetch(`${this.admin}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
    if (!res.ok) throw new Error(`faults: ${res.status} ${await res.text()}`);
  }

  writeConfig(name: string, networks: NetworkDef[], extra: Record<string, unknown> = {}): string {
    const path = join(this.dir, `${name}.yaml`);
    const { routeros, ...rest } = extra as { routeros?: Record<string, unknown> };
    writeFileSync(
      path,
      stringify({
        log: { level: 'info' },
        routeros: { url: this.rest, user: USER, password: PASSWORD, timeoutMs: 5000, ...routeros },
        networks,
        reconcile: { graceSeconds: 0 },
        ...rest,
      }),
    );
    return path;
  }

  /** Starts an ipam process; resolves once it logged "ready" unless `waitReady` is false. */
  async startIpam(config: string, opts: { waitReady?: boolean; args?: string[] } = {}): Promise<Ipam> {
    const grpcPort = await freePort();
    const httpPort = await freePort();
    const proc = startTsProcess('apps/ipam/src/main.ts', {
      args: ['--config', config, '--grpc.host', '127.0.0.1', '--grpc.port', String(grpcPort), '--http.host', '127.0.0.1', '--http.port', String(httpPort), ...(opts.args ?? [])],
    });
    this.procs.push(proc);
    if (opts.waitReady !== false) await proc.waitForLine(/"message":"ready"/, 60_000);
    return new Ipam(proc, grpcPort, httpPort);
  }

  async tagged(): Promise<Array<{ name: string; address: string; comment: string }>> {
    return (await this.router.veths.list())
      .filter((v) => v.comment?.startsWith('mikrotik-kube:ipam'))
      .map((v) => ({ name: v.name, address: v.addresses.join(','), comment: v.comment ?? '' }));
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop('SIGKILL')));
    this.router?.close();
    await this.sim?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type IpamClient = InstanceType<ReturnType<typeof contracts.ipam>['Ipam']>;

export class Ipam {
  readonly client: IpamClient;
  constructor(
    readonly proc: ProcessHandle,
    readonly grpcPort: number,
    readonly httpPort: number,
  ) {
    this.client = createClient(contracts.ipam().Ipam, `127.0.0.1:${grpcPort}`, { maxAttempts: 1, deadlineMs: 240_000 });
  }
  allocate(owner: string, network = ''): Promise<kube.Allocation__Output> {
    return unary(this.client, 'Allocate', { owner, network }) as Promise<kube.Allocation__Output>;
  }
  release(owner: string): Promise<kube.ReleaseResponse__Output> {
    return unary(this.client, 'Release', { owner }) as Promise<kube.ReleaseResponse__Output>;
  }
  get(owner: string): Promise<kube.Allocation__Output> {
    return unary(this.client, 'Get', { owner }) as Promise<kube.Allocation__Output>;
  }
  list(network = ''): Promise<kube.ListAllocationsResponse__Output> {
    return unary(this.client, 'List', { network }) as Promise<kube.ListAllocationsResponse__Output>;
  }
  networks(): Promise<kube.ListNetworksResponse__Output> {
    return unary(this.client, 'ListNetworks', {}) as Promise<kube.ListNetworksResponse__Output>;
  }
  reconcile(live_owners: string[], dry_run = false): Promise<kube.ReconcileResponse__Output> {
    return unary(this.client, 'Reconcile', { live_owners, dry_run }) as Promise<kube.ReconcileResponse__Output>;
  }
  async http(path: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}${path}`);
    return { status: res.status, body: await res.text() };
  }
  close(): void {
    this.client.close();
  }
}

/** The gRPC status code of a rejected call. */
export async function codeOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    return (err as { code: number }).code;
  }
  throw new Error('call succeeded');
}
