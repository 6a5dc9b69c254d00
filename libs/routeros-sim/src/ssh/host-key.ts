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

/**
 * An ed25519 key pair in OpenSSH format that ssh2 itself can read back. ssh2's generator strips
 * every leading zero byte of the public key, so about one pair in 256 is malformed
 * ("Malformed OpenSSH private key", ssh2#1390/#1513): such a pair is drawn again.
 */
export function sshKeyPair(comment: string): { private: string; public: string } {
  for (;;) {
    const pair = ssh2.utils.generateKeyPairSync('ed25519', { comment });
    if (!(ssh2.utils.parseKey(pair.private) instanceof Error) && !(ssh2.utils.parseKey(pair.public) instanceof Error)) return pair;
  }
}

export function loadHostKey(dataDir: string): HostKey {
  const file = join(dataDir, 'ssh', 'ssh_host_ed25519_key');
  // A temp name of its own per process: two simulators starting on one data dir each write a
  // whole key and the later rename wins, so neither can read the other's half-written file.
  if (!existsSync(file)) writeFileAtomicSync(file, sshKeyPair('routeros-sim').private);
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
