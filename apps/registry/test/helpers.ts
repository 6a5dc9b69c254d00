// Test helpers: our registry and Debian's docker-registry as real processes on
// loopback, and small OCI test images built with tar-stream in an OCI layout.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { MediaType, OciLayoutWriter, digestOf, type Descriptor } from '@mikrotik-kube/oci';
import { freePort, startProcess, startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';

export interface RunningRegistry {
  host: string;
  url: string;
  storageDir: string;
  proc: ProcessHandle;
  stop(): Promise<void>;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}

/** Starts apps/registry with the CLI flags the README documents. */
export async function startRegistry(extraArgs: string[] = [], storageDir = join(tempDir('registry'), 'storage')): Promise<RunningRegistry> {
  const port = await freePort();
  const proc = startTsProcess('apps/registry/src/main.ts', {
    args: ['--listen', `127.0.0.1:${port}`, '--storage-dir', storageDir, '--http.host', '127.0.0.1', '--http.port', '0', ...extraArgs],
  });
  await proc.waitForLine(/registry listening/, 60_000);
  const host = `127.0.0.1:${port}`;
  return {
    host,
    url: `http://${host}`,
    storageDir,
    proc,
    stop: async () => {
      await proc.stop();
    },
  };
}

export interface DockerRegistryOptions {
  htpasswd?: { user: string; password: string };
}

/** Debian's docker-registry (distribution 2.8) with filesystem storage on a free loopback port. */
export async function startDockerRegistry(opts: DockerRegistryOptions = {}): Promise<RunningRegistry> {
  const dir = tempDir('docker-registry');
  const port = await freePort();
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
  ];
  if (opts.htpasswd) {
    const r = spawnSync('htpasswd', ['-Bbn', opts.htpasswd.user, opts.htpasswd.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    writeFileSync(join(dir, 'htpasswd'), r.stdout);
    lines.push('auth:', '  htpasswd:', '    realm: test', `    path: ${join(dir, 'htpasswd')}`);
  }
  writeFileSync(join(dir, 'config.yml'), `${lines.join('\n')}\n`);
  const proc = startProcess('/usr/bin/docker-registry', ['serve', join(dir, 'config.yml')]);
  const host = `127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`http://${host}/v2/`);
      if (res.status === 200 || res.status === 401) break;
    } catch {
      if (i > 100) throw new Error(`docker-registry did not start: ${proc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { host, url: `http://${host}`, storageDir: join(dir, 'data'), proc, stop: async () => void (await proc.stop()) };
}

/** A gzip-less tar layer with the given files. */
export async function tarLayer(files: Record<string, Buffer | string>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mtime: new Date(0) }, Buffer.from(content));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as Readable) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export interface TestImage {
  layoutDir: string;
  tag: string;
  manifest: Descriptor;
}

async function addImage(w: OciLayoutWriter, arch: string, layerCount: number, seed: string): Promise<Descriptor> {
  const layers: Descriptor[] = [];
  const diffIds: string[] = [];
  for (let i = 0; i < layerCount; i++) {
    const layer = await tarLayer({ [`layer${i}/${seed}.txt`]: `${seed} ${arch} ${i}\n`, [`layer${i}/random.bin`]: randomBytes(2048) });
    // Compressed like real images, so clients push the layers as they are (no recompression).
    layers.push(await w.addBlob(MediaType.ociLayerGzip, gzipSync(layer)));
    diffIds.push(digestOf(layer));
  }
  const config = await w.addJson(MediaType.ociConfig, {
    architecture: arch,
    os: 'linux',
    config: { Cmd: ['/bin/sh'] },
    rootfs: { type: 'layers', diff_ids: diffIds },
  });
  return w.addJson(MediaType.ociManifest, { schemaVersion: 2, mediaType: MediaType.ociManifest, config, layers });
}

/** An OCI layout holding one multi-layer image under `tag`. */
export async function buildImage(tag: string, layerCount = 3): Promise<TestImage> {
  const layoutDir = tempDir('oci-layout');
  const w = new OciLayoutWriter(layoutDir);
  await w.init();
  const manifest = await addImage(w, 'amd64', layerCount, randomBytes(4).toString('hex'));
  await w.tag(manifest, tag);
  return { layoutDir, tag, manifest };
}

/** An OCI layout holding an image index with amd64 and arm64 images under `tag`. */
export async function buildMultiArchImage(tag: string): Promise<TestImage> {
  const layoutDir = tempDir('oci-layout');
  const w = new OciLayoutWriter(layoutDir);
  await w.init();
  const seed = randomBytes(4).toString('hex');
  const manifests: Descriptor[] = [];
  for (const arch of ['amd64', 'arm64']) {
    const m = await addImage(w, arch, 2, seed);
    manifests.push({ ...m, platform: { architecture: arch, os: 'linux' } });
  }
  const index = await w.addJson(MediaType.ociIndex, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests });
  await w.tag(index, tag);
  return { layoutDir, tag, manifest: index };
}

/**
 * Runs skopeo and returns its stdout; throws with stderr on failure. Asynchronous,
 * because servers running inside the test process must keep answering meanwhile.
 */
export async function skopeo(...args: string[]): Promise<string> {
  const child = spawn('skopeo', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`skopeo ${args.join(' ')} failed (${code}): ${stderr}`);
  return stdout;
}

export interface TokenGate {
  url: string;
  /** Token requests the gate has answered. */
  tokenRequests: string[];
  close(): Promise<void>;
}

/**
 * A Docker Hub style token gate in front of a registry: requests without a valid
 * Bearer token get a `WWW-Authenticate: Bearer realm=…,service=…,scope=…`
 * challenge; /token issues tokens for Basic credentials; valid requests are proxied.
 */
export async function startTokenGate(upstreamUrl: string, creds: { user: string; password: string }): Promise<TokenGate> {
  const { createServer, request } = await import('node:http');
  const tokens = new Set<string>();
  const tokenRequests: string[] = [];
  const expected = `Basic ${Buffer.from(`${creds.user}:${creds.password}`).toString('base64')}`;
  const up = new URL(upstreamUrl);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://gate');
    if (url.pathname === '/token') {
      tokenRequests.push(url.search);
      if (req.headers.authorization !== expected) {
        res.statusCode = 401;
        res.end();
        return;
      }
      const token = randomBytes(16).toString('hex');
      tokens.add(token);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ token, expires_in: 60 }));
      return;
    }
    const auth = req.headers.authorization ?? '';
    if (!auth.startsWith('Bearer ') || !tokens.has(auth.slice(7))) {
      const repo = /^\/v2\/(.+?)\/(?:manifests|blobs|tags)\//.exec(url.pathname)?.[1];
      const address = server.address() as { port: number };
      res.statusCode = 401;
      res.setHeader(
        'www-authenticate',
        `Bearer realm="http://127.0.0.1:${address.port}/token",service="gate"${repo ? `,scope="repository:${repo}:pull"` : ''}`,
      );
      res.end();
      return;
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const fwd = request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    req.pipe(fwd);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    tokenRequests,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
