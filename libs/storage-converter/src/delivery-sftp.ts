// Delivery by SFTP to the router's SSH service: one connection per delivery, the tarball
// streamed with backpressure, then its size checked over REST. A failed upload leaves no
// file behind.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type ssh2 from 'ssh2';
import { checkHostKey, type HostKeyPolicy } from '@mikrotik-kube/rds-ssh';
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { throttle, type ProgressFn } from './converter';
import type { Deliverer } from './delivery';
import { unavailable } from './errors';
import { findRouterFile, removeRouterFile } from './router-files';

export interface SftpTarget {
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: Buffer;
  /** The router's host key, pinned as csi-controller pins the RDS's (allowUnknown only for labs). */
  hostKey: HostKeyPolicy;
  readyTimeoutMs: number;
}

async function connect(t: SftpTarget): Promise<ssh2.Client> {
  // Loaded on first use: without SFTP delivery the process never pays for it.
  const { Client } = (await import('ssh2')).default;
  return new Promise((resolve, reject) => {
    const c = new Client();
    let refused: string | undefined;
    c.once('ready', () => resolve(c));
    c.once('error', (err) => reject(refused ? new Error(refused) : err));
    c.connect({
      host: t.host,
      port: t.port,
      username: t.username,
      password: t.password,
      privateKey: t.privateKey,
      readyTimeout: t.readyTimeoutMs,
      hostVerifier: (key: Buffer) => {
        refused = checkHostKey(t.hostKey, t.host, t.port, key);
        return refused === undefined;
      },
    });
  });
}

export class SftpDeliverer implements Deliverer {
  readonly mode = 'sftp' as const;
  constructor(
    private readonly router: RouterOsClient,
    private readonly target: SftpTarget,
  ) {}

  async deliver(localPath: string, size: number, routerFile: string, progress: ProgressFn): Promise<void> {
    let client: ssh2.Client | undefined;
    try {
      client = await connect(this.target);
      const sftp = await new Promise<ssh2.SFTPWrapper>((resolve, reject) => client?.sftp((err, s) => (err ? reject(err) : resolve(s))));
      const report = throttle((n) => progress({ phase: 'deliver', bytesDone: n, bytesTotal: size, message: `uploading ${routerFile}` }));
      const source = createReadStream(localPath, { highWaterMark: 256 * 1024 });
      let sent = 0;
      source.on('data', (c) => report((sent += c.length)));
      await pipeline(source, sftp.createWriteStream(`/${routerFile}`));
      sftp.end();
    } catch (e) {
      await removeRouterFile(this.router, routerFile).catch(() => undefined);
      throw unavailable(`SFTP upload of ${routerFile} failed: ${(e as Error).message}`);
    } finally {
      client?.end();
    }
    const f = await findRouterFile(this.router, routerFile);
    if (!f || f.size !== size) throw unavailable(`router has ${routerFile} with ${f?.size ?? 0} bytes after SFTP upload, expected ${size}`);
    progress({ phase: 'deliver', bytesDone: size, bytesTotal: size, message: `delivered ${routerFile}` });
  }
}
