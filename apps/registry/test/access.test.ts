// Access control and transport: htpasswd (bcrypt) with and without anonymous
// reads, TLS with a throwaway certificate, and the ops endpoints on their own port.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildImage, skopeo, startRegistry, tempDir, type RunningRegistry } from './helpers';

function htpasswdFile(user: string, password: string, cost = 5): string {
  const r = spawnSync('htpasswd', ['-Bbn', '-C', String(cost), user, password], { encoding: 'utf8' });
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

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** GET /v2/ with an Authorization header from a chosen loopback source address (one "client" each). */
function getBase(host: string, authorization: string, localAddress = '127.0.0.1'): Promise<{ status: number; code?: string }> {
  const [hostname, port] = host.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path: '/v2/', localAddress, headers: { authorization } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        const code = res.statusCode === 200 ? undefined : (JSON.parse(body) as { errors: Array<{ code: string }> }).errors[0]?.code;
        resolve({ status: res.statusCode ?? 0, ...(code ? { code } : {}) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('htpasswd auth under a password-guessing attack', () => {
  let reg: RunningRegistry;
  beforeAll(async () => {
    // Cost 10, as htpasswd files in the field have: each wrong guess is tens of ms of CPU.
    const file = htpasswdFile('alice', 'wonder1and', 10);
    const bob = spawnSync('htpasswd', ['-Bbn', '-C', '10', 'bob', 'bu1lder'], { encoding: 'utf8' });
    writeFileSync(file, `${readFileSync(file, 'utf8').trim()}\n${bob.stdout}`);
    reg = await startRegistry(['--auth.htpasswd-file', file]);
  }, 90_000);
  afterAll(async () => {
    await reg?.stop();
  });

  it('keeps answering a logged-in client while 16 wrong passwords are being checked', async () => {
    const good = basic('alice', 'wonder1and');
    expect((await getBase(reg.host, good)).status).toBe(200);
    // 8 clients (source addresses) x 2 guesses each, all in flight at once.
    let wrongDone = 0;
    const guesses = Array.from({ length: 16 }, (_, i) =>
      getBase(reg.host, basic('alice', `guess${i}`), `127.0.0.${2 + (i % 8)}`).then((r) => {
        wrongDone++;
        return r;
      }),
    );
    await new Promise((r) => setTimeout(r, 100));
    const valid = await getBase(reg.host, good);
    const doneBeforeValid = wrongDone;
    const results = await Promise.all(guesses);
    expect(valid.status).toBe(200);
    expect(results.every((r) => r.status === 401)).toBe(true);
    // bcrypt on the event loop answered the valid request only after (nearly) all guesses.
    expect(doneBeforeValid).toBeLessThan(8);
  }, 60_000);

  it('refuses a client that keeps guessing with 429, before checking its passwords', async () => {
    const client = '127.0.0.20';
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await getBase(reg.host, basic('alice', `nope${i}`), client)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Blocked for the window, a right password included: a guesser cannot keep going.
    expect(await getBase(reg.host, basic('bob', 'bu1lder'), client)).toEqual({ status: 429, code: 'TOOMANYREQUESTS' });
    // Other clients are not affected, and a header verified earlier is still accepted from anywhere.
    expect((await getBase(reg.host, basic('bob', 'bu1lder'), '127.0.0.21')).status).toBe(200);
    expect((await getBase(reg.host, basic('alice', 'wonder1and'), client)).status).toBe(200);
  }, 60_000);
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
    expect(metrics).toMatch(/mikrotik_kube_registry_http_requests_total\{[^}]*route="manifest"[^}]*method="PUT"[^}]*status="201"/);
    expect(metrics).toMatch(/mikrotik_kube_registry_bytes_received_total\{[^}]*\} [1-9]/);
  }, 120_000);
});
