// The router's SSH host key: generated once (ed25519) and kept in the data dir, so its
// fingerprint — which clients pin — survives restarts.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';

export interface HostKey {
  privateKey: string;
  /** OpenSSH public key line (`ssh-ed25519 AAAA… routeros-sim`). */
  publicKey: string;
  /** `SHA256:<base64>` as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export function loadHostKey(dataDir: string): HostKey {
  const dir = join(dataDir, 'ssh');
  const file = join(dir, 'ssh_host_ed25519_key');
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment: 'routeros-sim' });
    const fd = openSync(`${file}.tmp`, 'w', 0o600);
    writeSync(fd, pair.private);
    fsyncSync(fd);
    closeSync(fd);
    renameSync(`${file}.tmp`, file);
  }
  const privateKey = readFileSync(file, 'utf8');
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const wire = parsed.getPublicSSH();
  return {
    privateKey,
    publicKey: `${parsed.type} ${wire.toString('base64')} routeros-sim`,
    fingerprint: 'SHA256:' + createHash('sha256').update(wire).digest('base64').replace(/=+$/, ''),
  };
}
