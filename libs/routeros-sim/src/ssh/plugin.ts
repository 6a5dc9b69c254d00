// The SSH face as a simulator plugin: `/user/ssh-keys`, the console executor over the shared
// state, and the SSH service on `sshPort`.
import { syncFiles } from '../menus/file';
import type { SimPlugin } from '../plugin';
import { CliExecutor } from './cli-exec';
import { loadHostKey, type HostKey } from './host-key';
import { SshServer } from './server';
import { keyRow, sshKeysMenu } from './ssh-keys';

export interface SshPluginOptions {
  port: number;
  host?: string;
  /** Public key lines accepted per user, in addition to `/user/ssh-keys`. */
  authorizedKeys?: Record<string, string[]>;
  maxSessions?: number;
}

export interface SshPlugin extends SimPlugin {
  /** The running server (after start). */
  server(): SshServer;
  hostKey(): HostKey;
}

export function sshPlugin(o: SshPluginOptions): SshPlugin {
  let server: SshServer | undefined;
  let hostKey: HostKey | undefined;
  return {
    name: 'ssh',
    server: () => {
      if (!server) throw new Error('ssh plugin not started');
      return server;
    },
    hostKey: () => {
      if (!hostKey) throw new Error('ssh plugin not set up');
      return hostKey;
    },
    setup(ctx) {
      hostKey = loadHostKey(ctx.dataDir);
      const menu = ctx.state.register(sshKeysMenu(ctx.files, ctx.users));
      for (const [user, lines] of Object.entries(o.authorizedKeys ?? {})) {
        for (const line of lines) {
          const row = keyRow(user, line);
          if (!menu.rows().some((r) => r['user'] === user && r['_key'] === row['_key'])) menu.insert(row);
        }
      }
    },
    async start(ctx) {
      const executor = new CliExecutor(ctx.state, {
        // The console lists the real files, as REST does.
        beforeAccess: (m) => {
          if (m === 'file') syncFiles(ctx, ctx.files);
        },
      });
      const hk = hostKey ?? loadHostKey(ctx.dataDir);
      server = new SshServer(ctx, { port: o.port, host: o.host ?? '127.0.0.1', hostKey: hk, maxSessions: o.maxSessions ?? 8, executor });
      const port = await server.start();
      const s = server;
      return {
        urls: { ssh: `ssh://${o.host ?? '127.0.0.1'}:${port}`, 'ssh-host-key': hk.fingerprint },
        stop: () => s.stop(),
      };
    },
  };
}
