// The router's SSH service: password or public-key login (users and `/user/ssh-keys` of the
// simulator), one console command line per exec request, a bounded number of sessions per
// connection (RouterOS limits them), and faults — latency and connections dropped mid-command.
import { timingSafeEqual, createHash } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import ssh2, { type Connection } from 'ssh2';
import type { SimContext } from '../plugin';
import { CliExecutor } from './cli-exec';
import { serveSftp } from './sftp';
import type { HostKey } from './host-key';
import { userKeys } from './ssh-keys';

export interface SshServerOptions {
  port: number;
  host: string;
  hostKey: HostKey;
  /** Concurrent sessions per connection; more are refused (channel open failure). */
  maxSessions: number;
  executor: CliExecutor;
}

const HISTORY = 1000;

function samePassword(a: string, b: string): boolean {
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(a), h(b));
}

export class SshServer {
  private server: ssh2.Server | undefined;
  private readonly clients = new Set<Connection>();
  /** Command lines received (newest last), for tests and the admin view. */
  readonly history: string[] = [];
  port = 0;

  constructor(
    private readonly ctx: SimContext,
    private readonly opts: SshServerOptions,
  ) {}

  async start(): Promise<number> {
    this.server = new ssh2.Server({ hostKeys: [this.opts.hostKey.privateKey], ident: 'ROSSSH' }, (client, info) => this.accept(client, info.ip));
    this.server.listen(this.opts.port, this.opts.host);
    await once(this.server, 'listening');
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.end();
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  /** Drops every client connection (as a router reboot or network cut would). */
  dropAll(): void {
    for (const c of this.clients) c.end();
  }

  private accept(client: Connection, ip: string): void {
    this.clients.add(client);
    // Small request/reply exchanges: without this Nagle adds ~40 ms per command.
    (client as Connection & { setNoDelay(v: boolean): void }).setNoDelay(true);
    let user = '';
    let sessions = 0;
    client.on('close', () => this.clients.delete(client));
    client.on('error', () => this.clients.delete(client));
    client.on('authentication', (a) => {
      user = a.username;
      const known = this.ctx.users.has(a.username);
      if (a.method === 'password' && known && samePassword(a.password, this.ctx.users.get(a.username) ?? '')) return a.accept();
      if (a.method === 'publickey' && known) {
        const offered = a.key.data.toString('base64');
        if (userKeys(this.ctx.state, a.username).includes(offered)) {
          if (!a.signature || !a.blob) return a.accept(); // key probe
          const pk = ssh2.utils.parseKey(a.key.data);
          if (!(pk instanceof Error) && pk.verify(a.blob, a.signature, a.hashAlgo)) return a.accept();
        }
      }
      if (a.method === 'password') this.ctx.log('system,error,critical', `login failure for user ${a.username} from ${ip} via ssh`);
      a.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      this.ctx.log('system,info,account', `user ${user} logged in from ${ip} via ssh`);
      // RouterOS does not answer keepalive@openssh.com and other global requests.
      client.on('request', (_accept, reject) => reject?.());
      client.on('session', (acceptSession, rejectSession) => {
        if (sessions >= this.opts.maxSessions) return rejectSession();
        sessions++;
        const session = acceptSession();
        let released = false;
        const release = () => {
          if (!released) sessions--;
          released = true;
        };
        session.on('close', release);
        session.on('pty', (ok) => ok?.());
        session.on('shell', (_ok, reject) => reject()); // only exec and SFTP are simulated
        session.on('sftp', (acceptSftp) => serveSftp(this.ctx, acceptSftp(), user));
        session.on('exec', (acceptExec, _reject, info) => {
          const stream = acceptExec();
          void this.exec(client, info.command).then((out) => {
            if (out === undefined) return; // connection dropped on purpose
            stream.write(out);
            stream.exit(0);
            stream.end();
          });
        });
      });
    });
  }

  /** Runs the command; returns its output, or undefined after dropping the connection. */
  private async exec(client: Connection, command: string): Promise<string | undefined> {
    this.history.push(command);
    if (this.history.length > HISTORY) this.history.shift();
    const f = this.ctx.faults;
    if (f.latencyMs > 0) await new Promise((r) => setTimeout(r, f.latencyMs));
    const out = this.opts.executor.execute(command);
    if (f.sshDropRate > 0 && Math.random() < f.sshDropRate) {
      // Mid-command: the router did the work, the client never learns the outcome.
      client.end();
      return undefined;
    }
    return out;
  }
}
