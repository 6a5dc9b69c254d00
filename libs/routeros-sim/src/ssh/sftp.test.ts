// SFTP uploads into the simulated router's files: a real ssh2 client, the upload visible
// in REST /file only once complete, and nothing written outside the file store.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@mikrotik-kube/test-support';
import { Simulator } from '../simulator';

function connect(port: number, password: string): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.once('ready', () => resolve(c)).once('error', reject);
    c.connect({ host: '127.0.0.1', port, username: 'admin', password });
  });
}

const sftpOf = (c: ssh2.Client) => new Promise<ssh2.SFTPWrapper>((resolve, reject) => c.sftp((err, s) => (err ? reject(err) : resolve(s))));

describe('SFTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sim-sftp-'));
  let sim: Simulator;
  let port = 0;
  let rest = '';
  beforeAll(async () => {
    port = await freePort();
    sim = new Simulator({ users: { admin: 'pw' }, dataDir: join(dir, 'sim'), sshPort: port });
    rest = (await sim.start()).rest;
  });
  afterAll(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a file that REST then lists with its size; a partial upload is not listed', async () => {
    const client = await connect(port, 'pw');
    const sftp = await sftpOf(client);
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const stream = sftp.createWriteStream('/disk1/images/app.tar');
    stream.write(data.subarray(0, 1024 * 1024));
    await new Promise((r) => setTimeout(r, 100));
    const files = async () => (await (await fetch(`${rest}/file`, { headers: { authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` } })).json()) as Array<{ name: string; size?: string }>;
    expect((await files()).some((f) => f.name === 'disk1/images/app.tar')).toBe(false);
    await new Promise<void>((resolve, reject) => stream.end(data.subarray(1024 * 1024), () => resolve()).on('error', reject));
    await new Promise((r) => stream.once('close', r));
    expect(readFileSync(join(dir, 'sim', 'files', 'disk1/images/app.tar')).equals(data)).toBe(true);
    expect((await files()).find((f) => f.name === 'disk1/images/app.tar')?.size).toBe(String(data.length));
    client.end();
  });

  it('refuses paths outside the store and wrong passwords', async () => {
    const client = await connect(port, 'pw');
    const sftp = await sftpOf(client);
    const err = await new Promise<Error | undefined>((resolve) => sftp.open('/../../escape.txt', 'w', (e) => resolve(e ?? undefined)));
    expect(err).toBeDefined();
    expect(existsSync(join(dir, 'escape.txt'))).toBe(false);
    client.end();
    await expect(connect(port, 'wrong')).rejects.toThrow();
  });
});
