// The SSH face as users meet it: the simulator CLI started with --ssh-port, a real SSH
// client, one state shared with REST, keys imported through /user/ssh-keys, and a host key
// and disks that survive a restart.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { sshKeyPair } from './host-key';
import { sshExec, type SshLogin } from './test-ssh';

const dir = mkdtempSync(join(tmpdir(), 'sim-ssh-'));
const auth = 'Basic ' + Buffer.from('admin:pw').toString('base64');

async function startCli(): Promise<{ proc: ProcessHandle; rest: string; ssh: URL; fingerprint: string }> {
  const proc = startTsProcess('libs/routeros-sim/src/cli.ts', { args: ['--ssh-port', '0', '--data-dir', dir, '--password', 'pw'] });
  const line = await proc.waitForLine(/routeros-sim ready/);
  const field = (k: string) => (new RegExp(`${k}=(\\S+)`).exec(line)?.[1] as string) ?? '';
  return { proc, rest: field('rest'), ssh: new URL(field('ssh')), fingerprint: field('ssh-host-key') };
}

const login = (ssh: URL, fingerprint: string, auth: { password?: string; privateKey?: string }): SshLogin => ({
  host: ssh.hostname,
  port: Number(ssh.port),
  username: 'admin',
  ...auth,
  fingerprint,
});

describe('simulator CLI with --ssh-port', () => {
  let proc: ProcessHandle | undefined;
  afterAll(async () => {
    await proc?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the console over SSH on the same state as REST, and keeps both across a restart', async () => {
    const first = await startCli();
    proc = first.proc;
    expect(first.ssh.hostname).toBe('127.0.0.1');
    expect(first.fingerprint).toMatch(/^SHA256:/);
    const pw = login(first.ssh, first.fingerprint, { password: 'pw' });

    // SSH → REST
    const add = await sshExec(pw, '/disk add type=file slot=pvc-1 file-path=/storage-pool/k8s/pvc-1.img file-size=64M nvme-tcp-export=yes nvme-tcp-server-nqn="nqn.2000-02.com.mikrotik:pvc-1"');
    expect(add).toEqual({ stdout: '', code: 0 });
    const viaRest = (await (await fetch(`${first.rest}/disk/pvc-1`, { headers: { authorization: auth } })).json()) as Record<string, string>;
    expect(viaRest).toMatchObject({ slot: 'pvc-1', type: 'file', 'file-size': String(64 * 1024 ** 2), 'nvme-tcp-export': 'true', 'nvme-tcp-server-nqn': 'nqn.2000-02.com.mikrotik:pvc-1' });
    expect(existsSync(join(dir, 'files/storage-pool/k8s/pvc-1.img'))).toBe(true);

    // REST → SSH, with the same file-disk rules (the hook serves both faces)
    const put = await fetch(`${first.rest}/disk`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', slot: 'pvc-2', 'file-path': '/storage-pool/k8s/pvc-2.img', 'file-size': '32M' }),
    });
    expect(put.status).toBe(201);
    expect((await sshExec(pw, '/disk print terse where slot=pvc-2')).stdout).toContain(' size=33 554 432 ');
    const tooBig = await fetch(`${first.rest}/disk`, {
      method: 'PUT',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'file', slot: 'pvc-3', 'file-path': '/storage-pool/k8s/pvc-3.img', 'file-size': '2000T' }),
    });
    expect(tooBig.status).toBe(400);
    expect(((await tooBig.json()) as { detail: string }).detail).toBe('failure: not enough space');

    // Faults set through the admin endpoint reach the SSH face.
    const admin = first.rest.replace(/\/rest$/, '/_sim');
    const setFaults = (f: Record<string, number>) => fetch(`${admin}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(f) });
    expect((await setFaults({ diskFull: 1 })).status).toBe(200);
    expect((await sshExec(pw, '/disk add type=file slot=pvc-4 file-path=/storage-pool/k8s/pvc-4.img file-size=1M')).stdout).toBe('failure: not enough space\r\n');
    await setFaults({ diskFull: 0, sshDropRate: 1 });
    await expect(sshExec(pw, '/disk print count-only')).resolves.toMatchObject({ code: undefined });
    await setFaults({ sshDropRate: 0 });
    expect((await sshExec(pw, '/disk print count-only')).code).toBe(0);

    // A key imported through /user/ssh-keys (REST) logs in over SSH.
    const key = sshKeyPair('ops@test');
    writeFileSync(join(dir, 'files/ops.pub'), key.public);
    const imp = await fetch(`${first.rest}/user/ssh-keys/import`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({ 'public-key-file': 'ops.pub', user: 'admin' }),
    });
    expect(imp.status).toBe(200);
    const byKey = login(first.ssh, first.fingerprint, { privateKey: key.private });
    expect((await sshExec(byKey, '/user/ssh-keys/print terse')).stdout).toBe(' 0   user=admin key-type=ed25519 key-owner=ops@test\r\n');
    await expect(sshExec(login(first.ssh, first.fingerprint, { password: 'nope' }), '/disk print')).rejects.toThrow(/authentication/i);
    expect(await first.proc.stop()).toMatchObject({ code: 0 });

    // Restart on the same data dir: same host key, same disks.
    const second = await startCli();
    proc = second.proc;
    expect(second.fingerprint).toBe(first.fingerprint);
    const slots = (await sshExec(login(second.ssh, second.fingerprint, { privateKey: key.private }), '/disk print terse where slot~"^pvc-"')).stdout;
    expect([...slots.matchAll(/ slot=(\S+)/g)].map((m) => m[1])).toEqual(['pvc-1', 'pvc-2']);
  });
});
