// The pull-through cache with Debian's docker-registry as the upstream: content
// served through our registry keeps its digests, concurrent pulls of an uncached
// blob reach the upstream once, cached content survives the upstream going down,
// tags are re-checked after their TTL, and upstream Basic auth works with a
// password from a mounted Secret file.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaType, digestOf } from '@mikrotik-kube/oci';
import { startTsProcess } from '@mikrotik-kube/test-support';
import { buildImage, skopeo, startDockerRegistry, startRegistry, startTokenGate, tempDir, type RunningRegistry, type TokenGate } from './helpers';

async function metric(reg: RunningRegistry, name: string, labels: string): Promise<number> {
  const opsUrl = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(reg.proc.output().split('\n').find((l) => l.includes('ops server listening')) ?? '')?.[1];
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('pull-through cache of docker-registry', () => {
  let upstream: RunningRegistry;
  let cache: RunningRegistry;
  beforeAll(async () => {
    upstream = await startDockerRegistry();
    cache = await startRegistry(['--upstream', `up=${upstream.url}`]);
  }, 90_000);
  afterAll(async () => {
    await cache?.stop();
    await upstream?.stop();
  });

  it('serves upstream images with identical digests, fetches a blob once for concurrent pulls, and works with the upstream down', async () => {
    const img = await buildImage('v1', 3);
    await skopeo('copy', `oci:${img.layoutDir}:v1`, `docker://${upstream.host}/team/app:v1`, '--dest-tls-verify=false');

    const manifestRes = await fetch(`${cache.url}/v2/up/team/app/manifests/v1`, { headers: { accept: MediaType.ociManifest } });
    expect(manifestRes.status).toBe(200);
    expect(manifestRes.headers.get('docker-content-digest')).toBe(img.manifest.digest);
    const manifest = (await manifestRes.json()) as { layers: Array<{ digest: string; size: number }> };
    const layer = manifest.layers[0] as { digest: string; size: number };

    const mark = upstream.proc.output().length;
    const bodies = await Promise.all(
      Array.from({ length: 6 }, async () => Buffer.from(await (await fetch(`${cache.url}/v2/up/team/app/blobs/${layer.digest}`)).arrayBuffer())),
    );
    for (const b of bodies) expect(digestOf(b)).toBe(layer.digest);
    // docker-registry's access log: one line per request it served since the mark.
    const upstreamGets = upstream.proc
      .output()
      .slice(mark)
      .split('\n')
      .filter((l) => l.includes(`/blobs/${layer.digest}`) && /"GET /.test(l));
    expect(upstreamGets, upstream.proc.output().slice(mark)).toHaveLength(1);

    const out = tempDir('through-cache');
    await skopeo('copy', `docker://${cache.host}/up/team/app:v1`, `oci:${out}:v1`, '--src-tls-verify=false');
    expect(await skopeo('inspect', '--raw', '--tls-verify=false', `docker://${cache.host}/up/team/app:v1`)).toBeTruthy();
    expect(await metric(cache, 'mikrotik_kube_registry_cache_requests_total', 'kind="blob",result="miss"')).toBeGreaterThan(0);

    // Pushing into a cached namespace is refused: it is a read-only view of the upstream.
    const post = await fetch(`${cache.url}/v2/up/team/app/blobs/uploads/`, { method: 'POST' });
    expect(post.status).toBe(405);

    await upstream.stop();
    const out2 = tempDir('upstream-down');
    await skopeo('copy', `docker://${cache.host}/up/team/app:v1`, `oci:${out2}:v1`, '--src-tls-verify=false');
    const res = await fetch(`${cache.url}/v2/up/team/app/manifests/${img.manifest.digest}`, { headers: { accept: MediaType.ociManifest } });
    expect(res.status).toBe(200);
    // The tag list goes upstream; with the upstream down the cached tags are listed.
    const tags = (await (await fetch(`${cache.url}/v2/up/team/app/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['v1']);
    expect(await metric(cache, 'mikrotik_kube_registry_upstream_errors_total', 'upstream="up"')).toBeGreaterThan(0);
  }, 180_000);
});

describe('upstream credentials', () => {
  it('are refused in an upstream url, without echoing them, pointing to passwordFile', async () => {
    const dir = tempDir('cred-url');
    const config = join(dir, 'registry.yaml');
    writeFileSync(config, ['upstreams:', '  - name: private', '    url: http://puller:s3cr3t-pw@127.0.0.1:9'].join('\n'));
    for (const args of [['--upstream', 'hub=https://me:s3cr3t-pw@registry-1.docker.io'], ['--config', config]]) {
      const proc = startTsProcess('apps/registry/src/main.ts', { args: ['--storage-dir', join(dir, 'storage'), '--http.port', '0', ...args] });
      const { code } = await proc.exited;
      expect(code, proc.output()).toBe(2);
      expect(proc.output()).toMatch(/credentials.*passwordFile/);
      expect(proc.output()).not.toContain('s3cr3t-pw');
    }
  }, 60_000);
});

describe('pull-through cache of docker-registry with htpasswd auth', () => {
  let upstream: RunningRegistry;
  let cache: RunningRegistry;
  const creds = { user: 'puller', password: 'pa55-w0rd' };
  beforeAll(async () => {
    upstream = await startDockerRegistry({ htpasswd: creds });
    const dir = tempDir('cache-config');
    const secret = join(dir, 'password');
    writeFileSync(secret, `${creds.password}\n`);
    const config = join(dir, 'registry.yaml');
    writeFileSync(
      config,
      [
        'upstreams:',
        '  - name: private',
        `    url: ${upstream.url}`,
        `    username: ${creds.user}`,
        `    passwordFile: ${secret}`,
        '    tagTtlSeconds: 0',
      ].join('\n'),
    );
    cache = await startRegistry(['--config', config]);
  }, 90_000);
  afterAll(async () => {
    await cache?.stop();
    await upstream?.stop();
  });

  it('authenticates upstream and re-checks tags once their TTL has passed', async () => {
    const v1 = await buildImage('latest', 2);
    const destCreds = `--dest-creds=${creds.user}:${creds.password}`;
    await skopeo('copy', `oci:${v1.layoutDir}:latest`, `docker://${upstream.host}/lib/tool:latest`, '--dest-tls-verify=false', destCreds);
    const unauth = await fetch(`${upstream.url}/v2/lib/tool/manifests/latest`);
    expect(unauth.status).toBe(401);

    const out = tempDir('auth-pull');
    await skopeo('copy', `docker://${cache.host}/private/lib/tool:latest`, `oci:${out}:latest`, '--src-tls-verify=false');
    const first = await fetch(`${cache.url}/v2/private/lib/tool/manifests/latest`, { method: 'HEAD', headers: { accept: MediaType.ociManifest } });
    expect(first.headers.get('docker-content-digest')).toBe(v1.manifest.digest);

    const v2 = await buildImage('latest', 2);
    await skopeo('copy', `oci:${v2.layoutDir}:latest`, `docker://${upstream.host}/lib/tool:latest`, '--dest-tls-verify=false', destCreds);
    const second = await fetch(`${cache.url}/v2/private/lib/tool/manifests/latest`, { method: 'HEAD', headers: { accept: MediaType.ociManifest } });
    expect(second.headers.get('docker-content-digest')).toBe(v2.manifest.digest);
  }, 180_000);
});

describe('pull-through cache behind a Bearer token service', () => {
  let upstream: RunningRegistry;
  let gate: TokenGate;
  let cache: RunningRegistry;
  const creds = { user: 'robot', password: 't0ken-s3cret' };
  beforeAll(async () => {
    upstream = await startDockerRegistry();
    gate = await startTokenGate(upstream.url, creds);
    const dir = tempDir('bearer-config');
    const config = join(dir, 'registry.yaml');
    writeFileSync(
      config,
      ['upstreams:', '  - name: hub', `    url: ${gate.url}`, '    mirror: true', `    username: ${creds.user}`, `    password: ${creds.password}`].join('\n'),
    );
    cache = await startRegistry(['--config', config]);
  }, 90_000);
  afterAll(async () => {
    await cache?.stop();
    await gate?.close();
    await upstream?.stop();
  });

  it('gets a token for the repository scope and mirrors without a prefix', async () => {
    const img = await buildImage('1.0', 2);
    await skopeo('copy', `oci:${img.layoutDir}:1.0`, `docker://${upstream.host}/org/svc:1.0`, '--dest-tls-verify=false');
    const out = tempDir('bearer-pull');
    await skopeo('copy', `docker://${cache.host}/org/svc:1.0`, `oci:${out}:1.0`, '--src-tls-verify=false');
    const res = await fetch(`${cache.url}/v2/org/svc/manifests/1.0`, { method: 'HEAD', headers: { accept: MediaType.ociManifest } });
    expect(res.headers.get('docker-content-digest')).toBe(img.manifest.digest);
    expect(gate.tokenRequests.some((q) => q.includes('scope=repository%3Aorg%2Fsvc%3Apull') && q.includes('service=gate'))).toBe(true);
  }, 180_000);
});
