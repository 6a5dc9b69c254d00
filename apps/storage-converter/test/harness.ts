// Test rig: our registry as a real process, the RouterOS simulator (real REST, and SSH
// for SFTP) in-process, storage-converter as a real process with a YAML config, and gRPC
// clients to it.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { createClient } from '@mikrotik-kube/grpc-kit';
import { RegistryClient } from '@mikrotik-kube/oci';
import { contracts, type kube } from '@mikrotik-kube/proto';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { Simulator, type SimulatorOptions } from '@mikrotik-kube/routeros-sim';
import { type ProcessHandle, freePort, startTsProcess } from '@mikrotik-kube/test-support';
import { stringify } from 'yaml';

export const USER = 'conv';
export const PASSWORD = 'secret';

export const run = promisify(execFile);

export async function skopeo(...args: string[]): Promise<string> {
  return (await run('skopeo', args, { maxBuffer: 1 << 26 })).stdout;
}

type ImagesClient = InstanceType<ReturnType<typeof contracts.images>['Images']>;
type VolumesClient = InstanceType<ReturnType<typeof contracts.images>['Volumes']>;

export interface Converter {
  proc: ProcessHandle;
  images: ImagesClient;
  volumes: VolumesClient;
  grpcPort: number;
}

export class Rig {
  readonly dir = mkdtempSync(join(tmpdir(), 'storage-converter-test-'));
  sim!: Simulator;
  rest!: string;
  sshPort = 0;
  /** The simulator's SSH host key fingerprint, which SFTP delivery pins. */
  sshHostKey = '';
  router!: RouterOsClient;
  registry!: { url: string; host: string; proc: ProcessHandle; client: RegistryClient };
  private readonly procs: ProcessHandle[] = [];
  private readonly clients: grpc.Client[] = [];

  get simFiles(): string {
    return join(this.dir, 'sim', 'files');
  }

  async startRouter(opts: SimulatorOptions = {}): Promise<void> {
    this.sshPort = await freePort();
    this.sim = new Simulator({ users: { [USER]: PASSWORD }, dataDir: join(this.dir, 'sim'), sshPort: this.sshPort, ...opts });
    const urls = await this.sim.start();
    this.rest = urls.rest;
    this.sshHostKey = urls['ssh-host-key'] ?? '';
    this.router = new RouterOsClient({ url: this.rest, username: USER, password: PASSWORD, timeoutMs: 30_000 });
  }

  /** Starts apps/registry; with `auth`, reads and writes need those credentials (htpasswd). */
  async startRegistry(auth?: { user: string; password: string }): Promise<void> {
    const port = await freePort();
    const extra: string[] = [];
    if (auth) {
      const htpasswd = join(this.dir, 'htpasswd');
      writeFileSync(htpasswd, (await run('htpasswd', ['-Bbn', auth.user, auth.password])).stdout);
      extra.push('--auth.htpasswd-file', htpasswd);
    }
    const proc = startTsProcess('apps/registry/src/main.ts', {
      args: ['--listen', `127.0.0.1:${port}`, '--storage-dir', join(this.dir, 'registry'), '--http.host', '127.0.0.1', '--http.port', '0', ...extra],
    });
    this.procs.push(proc);
    await proc.waitForLine(/registry listening/, 60_000);
    const host = `127.0.0.1:${port}`;
    const credentials = auth && { username: auth.user, password: auth.password };
    this.registry = { url: `http://${host}`, host, proc, client: new RegistryClient({ baseUrl: `http://${host}`, ...(credentials ? { credentials } : {}) }) };
  }

  writeConfig(name: string, extra: Record<string, unknown> = {}): string {
    const path = join(this.dir, `${name}.yaml`);
    const { storage, delivery, volumes, ...rest } = extra as Record<string, Record<string, unknown> | undefined>;
    writeFileSync(
      path,
      stringify({
        log: { level: 'info' },
        routeros: { url: this.rest, user: USER, password: PASSWORD, timeoutMs: 30_000 },
        registry: { url: this.registry.url },
        storage: { cacheDir: join(this.dir, `cache-${name}`), routerDir: 'disk1/mk-images', gcIntervalMinutes: 0, ...storage },
        delivery: {
          mode: 'fetch',
          fetch: { host: '127.0.0.1', port: 0, tokenTtlSeconds: 60 },
          sftp: { host: '127.0.0.1', port: this.sshPort, user: USER, password: PASSWORD, hostKey: [this.sshHostKey] },
          remote: { registryUrl: this.registry.url },
          ...delivery,
        },
        volumes: { routerDir: 'disk1/mk-volumes', orphanGraceSeconds: 0, ...volumes },
        ...rest,
      }),
    );
    return path;
  }

  async startConverter(config: string): Promise<Converter> {
    const grpcPort = await freePort();
    const proc = startTsProcess('apps/storage-converter/src/main.ts', {
      args: ['--config', config, '--grpc.host', '127.0.0.1', '--grpc.port', String(grpcPort), '--http.host', '127.0.0.1', '--http.port', '0'],
    });
    this.procs.push(proc);
    await proc.waitForLine(/"message":"ready"/, 60_000);
    const defs = contracts.images();
    const images = createClient(defs.Images, `127.0.0.1:${grpcPort}`, { deadlineMs: 120_000, maxAttempts: 1 });
    const volumes = createClient(defs.Volumes, `127.0.0.1:${grpcPort}`, { deadlineMs: 60_000, maxAttempts: 1 });
    this.clients.push(images, volumes);
    return { proc, images, volumes, grpcPort };
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    for (const p of this.procs.reverse()) await p.stop().catch(() => undefined);
    this.router?.close();
    await this.sim?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface EnsureOutcome {
  progress: kube.ImageProgress__Output[];
  result?: kube.ImageResult__Output;
  error?: grpc.ServiceError;
}

/** Runs EnsureImage to its end and collects the stream. */
export function ensure(images: ImagesClient, req: kube.EnsureImageRequest): Promise<EnsureOutcome> {
  return new Promise((resolve) => {
    const out: EnsureOutcome = { progress: [] };
    const call = images.EnsureImage(req);
    call.on('data', (e: kube.EnsureImageEvent__Output) => {
      if (e.progress) out.progress.push(e.progress);
      if (e.result) {
        if (out.result) throw new Error('two results');
        out.result = e.result;
      }
    });
    call.on('error', (err: grpc.ServiceError) => resolve({ ...out, error: err }));
    call.on('end', () => resolve(out));
  });
}

/** Entry name → hex sha256 of its content, in archive order. */
export async function archiveEntries(path: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const h = createHash('sha256');
    stream.on('data', (c: unknown) => void h.update(c as Buffer));
    stream.on('end', () => {
      out.set(header.name, h.digest('hex'));
      next();
    });
  });
  await pipeline(createReadStream(path), extract);
  return out;
}

/** The value, or a test failure saying what was missing. */
export function must<T>(v: T | undefined | null, what = 'value'): T {
  if (v === undefined || v === null) throw new Error(`${what} is missing`);
  return v;
}
