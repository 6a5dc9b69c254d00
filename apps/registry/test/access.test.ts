// Access control and transport: htpasswd (bcrypt) with and without anonymous
// reads, TLS with a throwaway certificate, and the ops endpoints on their own port.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, skopeo, startRegistry, tempDir, type RunningRegistry } from './helpers';

function htpasswdFile(user: string, password: string): string {
  const r = spawnSync('htpasswd', ['-Bbn', user, password], { encoding: 'utf8' });
  const file = join(tempDir('htpasswd'), 'htpasswd');
  writeFileSync(file, r.stdout);
  return file;
}

describe('htpasswd auth', () => {
  let locked: RunningRegistry;
  let open: RunningRegistry;
  beforeAll(async () => {
    const file = htpasswdFile('alice', 'wonder1and');
    [locked, open] = await Promise.all([
      startRegistry(['--auth.htpasswd-file', file]),
      startRegistry(['--auth.htpasswd-file', file, '--auth.anonymous-read']),
    ]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([locked?.stop(), open?.stop()]);
  });

  it('requires credentials, accepts the right ones, and lets skopeo push with --dest-creds', async () => {
    const anon = await fetch(`${locked.url}/v2/`);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(((await anon.json()) as { errors: Array<{ code: string }> }).errors[0]?.code).toBe('UNAUTHORIZED');
    const wrong = await fetch(`${locked.url}/v2/`, { headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
    expect(wrong.status).toBe(401);
    const img = await buildImage('v1', 2);
    await expect(skopeo('copy', `oci:${img.layoutDir}:v1`, `docker://${locked.host}/a/b:v1`, '--dest-tls-verify=false')).rejects.toThrow();
    await skopeo('copy', `oci:${img.layoutDir}:v1`, `docker://${locked.host}/a/b:v1`, '--dest-tls-verify=false', '--dest-creds=alice:wonder1and');
    const ok = await fetch(`${locked.url}/v2/a/b/tags/list`, { headers: { authorization: `Basic ${Buffer.from('alice:wonder1and').toString('base64')}` } });
    expect(await ok.json()).toEqual({ name: 'a/b', tags: ['v1'] });
  }, 120_000);

  it('with anonymous reads, pulls need no credentials but pushes do', async () => {
    const img = await buildImage('v1', 1);
    await skopeo('copy', `oci:${img.layoutDir}:v1`, `docker://${open.host}/pub/img:v1`, '--dest-tls-verify=false', '--dest-creds=alice:wonder1and');
    const out = tempDir('anon-pull');
    await skopeo('copy', `docker://${open.host}/pub/img:v1`, `oci:${out}:v1`, '--src-tls-verify=false');
    const post = await fetch(`${open.url}/v2/pub/img/blobs/uploads/`, { method: 'POST' });
    expect(post.status).toBe(401);
  }, 120_000);
});

describe('TLS and ops endpoints', () => {
  let reg: RunningRegistry;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('tls');
    const r = spawnSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'),
    ]);
    expect(r.status).toBe(0);
    // skopeo reads a cert dir's *.crt as CAs (and a *.key as a client certificate, so the key stays out).
    mkdirSync(join(dir, 'client'));
    copyFileSync(join(dir, 'tls.crt'), join(dir, 'client', 'ca.crt'));
    reg = await startRegistry(['--tls.cert-file', join(dir, 'tls.crt'), '--tls.key-file', join(dir, 'tls.key')]);
  }, 90_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('serves the API over TLS and keeps /metrics and /readyz on the ops port', async () => {
    const img = await buildImage('v1', 1);
    await skopeo('copy', `oci:${img.layoutDir}:v1`, `docker://${reg.host}/tls/img:v1`, `--dest-cert-dir=${dir}/client`);
    const raw = await skopeo('inspect', '--raw', `--cert-dir=${dir}/client`, `docker://${reg.host}/tls/img:v1`);
    expect(raw).toContain(img.manifest.mediaType);
    const ops = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(reg.proc.output())?.[1];
    expect((await fetch(`${ops}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${ops}/metrics`)).text();
    expect(metrics).toMatch(/registry_http_requests_total\{[^}]*route="manifest"[^}]*method="PUT"[^}]*status="201"/);
    expect(metrics).toMatch(/registry_bytes_received_total\{[^}]*\} [1-9]/);
  }, 120_000);
});
