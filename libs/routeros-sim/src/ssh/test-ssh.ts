// A bare ssh2 exec for the simulator's own tests (the rds-ssh client is tested in its lib).
import { createHash } from 'node:crypto';
import ssh2 from 'ssh2';

export interface SshLogin {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string;
  /** Pinned host key fingerprint (`SHA256:…`). */
  fingerprint: string;
}

export const fingerprintOf = (key: Buffer): string => 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');

/** Connects, runs one command, disconnects; resolves with stdout and the exit status. */
export function sshExec(l: SshLogin, command: string): Promise<{ stdout: string; code: number | undefined }> {
  return new Promise((resolve, reject) => {
    const c = new ssh2.Client();
    c.on('error', reject);
    c.on('ready', () => {
      c.exec(command, (err, ch) => {
        if (err) return reject(err);
        let out = '';
        let code: number | undefined;
        ch.on('data', (d: Buffer) => (out += d.toString()));
        ch.on('exit', (n: number | null) => (code = n ?? undefined));
        ch.on('close', () => {
          c.end();
          resolve({ stdout: out, code });
        });
      });
    });
    c.connect({
      host: l.host,
      port: l.port,
      username: l.username,
      password: l.password,
      privateKey: l.privateKey,
      hostVerifier: (key: Buffer) => fingerprintOf(key) === l.fingerprint,
    });
  });
}
