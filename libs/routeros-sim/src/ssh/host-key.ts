// The router's SSH host key: generated once (ed25519) and kept in the data dir, so its
// fingerprint — which clients pin — survives restarts.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '@mikrotik-kube/atomic-file';
import ssh2 from 'ssh2';

export interface HostKey {
  privateKey: string;
  /** OpenSSH public key line (`ssh-ed25519 AAAA… routeros-sim`). */
  publicKey: string;
  /** `SHA256:<base64>` as `ssh-keygen -l` prints it. */
  fingerprint: string;
}

export function loadHostKey(dataDir: string): HostKey {
  const file = join(dataDir, 'ssh', 'ssh_host_ed25519_key');
  // A temp name of its own per process: two simulators starting on one data dir each write a
  // whole key and the later rename wins, so neither can read the other's half-written file.
  if (!existsSync(file)) writeFileAtomicSync(file, ssh2.utils.generateKeyPairSync('ed25519', { comment: 'routeros-sim' }).private);
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
