// One persistent SSH connection per target. Each command runs on its own exec channel
// (bounded by a semaphore), with a timeout. A connection that drops fails the commands
// in flight with a retryable error; the next command reconnects, with backoff.
import type { Client, ClientChannel, ConnectConfig } from 'ssh2';
import { backoffMs } from '@mikrotik-kube/service-kit';
import { RdsError } from './errors';
import { checkHostKey, type HostKeyPolicy } from './host-key';
import { Semaphore } from './semaphore';

export interface SshTarget {
  host: string;
  port?: number;
  username: string;
  privateKey?: string | Buffer;
  passphrase?: string;
  password?: string;
  hostKey: HostKeyPolicy;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
  /** Concurrent exec channels on the connection. */
  maxChannels?: number;
  /** Connect attempts per call before giving up, with exponential backoff between them. */
  connectAttempts?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number | undefined;
}

export interface ConnectionEvents {
  onConnect?: (reconnect: boolean) => void;
  onDisconnect?: (reason: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SshConnection {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private readonly channels: Semaphore;
  private readonly inflight = new Set<(e: RdsError) => void>();
  /** Connect retries since the last connection (the backoff keeps growing across rounds). */
  private retries = 0;
  private everConnected = false;
  private closed = false;

  constructor(
    readonly target: SshTarget,
    private readonly events: ConnectionEvents = {},
  ) {
    if (!target.privateKey && target.password === undefined) {
      throw new RdsError('invalid-input', 'SSH target needs a private key or a password');
    }
    this.channels = new Semaphore(target.maxChannels ?? 4);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  /** Commands running or waiting for a channel here. */
  get load(): number {
    return this.channels.inUse + this.channels.queued;
  }

  /** Runs one command line; resolves with its output, rejects with RdsError. */
  async exec(command: string, timeoutMs = this.target.commandTimeoutMs ?? 30_000): Promise<ExecResult> {
    if (this.closed) throw new RdsError('transport', 'connection closed', command);
    const release = await this.channels.acquire();
    try {
      const client = await this.ensureConnected();
      return await this.run(client, command, timeoutMs);
    } finally {
      release();
    }
  }

  close(): void {
    this.closed = true;
    this.drop('closed by caller');
  }

  private async ensureConnected(): Promise<Client> {
    if (this.client) return this.client;
    this.connecting ??= this.connectWithBackoff().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connectWithBackoff(): Promise<Client> {
    const attempts = this.target.connectAttempts ?? 3;
    let last: RdsError | undefined;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) {
        await sleep(backoffMs(++this.retries, { initialMs: this.target.backoffInitialMs ?? 500, maxMs: this.target.backoffMaxMs ?? 16_000 }));
      }
      try {
        const c = await this.connectOnce();
        this.retries = 0;
        this.events.onConnect?.(this.everConnected);
        this.everConnected = true;
        return c;
      } catch (e) {
        last = e as RdsError;
        if (last.kind === 'host-key' || last.kind === 'auth') break; // retrying cannot help
      }
    }
    throw last ?? new RdsError('transport', 'connect failed');
  }

  private async connectOnce(): Promise<Client> {
    // Loaded on first use: a process that never connects (storage-converter without SFTP) saves its memory.
    const { default: ssh2 } = await import('ssh2');
    const t = this.target;
    const port = t.port ?? 22;
    let refused: string | undefined;
    const cfg: ConnectConfig = {
      host: t.host,
      port,
      username: t.username,
      readyTimeout: t.connectTimeoutMs ?? 10_000,
      // RouterOS does not answer keepalive@openssh.com; liveness comes from command results.
      keepaliveInterval: 0,
      hostVerifier: (key: Buffer) => {
        refused = checkHostKey(t.hostKey, t.host, port, key);
        return refused === undefined;
      },
    };
    if (t.privateKey) cfg.privateKey = t.privateKey;
    if (t.passphrase !== undefined) cfg.passphrase = t.passphrase;
    if (t.password !== undefined) cfg.password = t.password;
    return new Promise((resolve, reject) => {
      const c = new ssh2.Client();
      let ready = false;
      c.once('ready', () => {
        ready = true;
        // Commands are small request/response exchanges; Nagle would add ~40 ms to each.
        c.setNoDelay(true);
        this.client = c;
        resolve(c);
      });
      c.on('error', (err: Error & { level?: string }) => {
        if (ready) return this.drop(err.message, c);
        if (refused) reject(new RdsError('host-key', refused));
        else if (err.level === 'client-authentication') reject(new RdsError('auth', `SSH authentication failed for ${t.username}@${t.host}`));
        else reject(new RdsError('transport', `SSH connect to ${t.host}:${port} failed: ${err.message}`, undefined, { cause: err }));
      });
      c.on('close', () => {
        if (!ready) reject(new RdsError('transport', `SSH connection to ${t.host}:${port} closed during handshake`));
        else this.drop('connection closed', c);
      });
      c.connect(cfg);
    });
  }

  /** Forgets the connection and fails every command in flight on it. */
  private drop(reason: string, which?: Client): void {
    if (which && which !== this.client) return;
    const c = this.client;
    this.client = undefined;
    if (c) {
      this.events.onDisconnect?.(reason);
      c.end();
    }
    for (const fail of [...this.inflight]) fail(new RdsError('transport', `connection lost: ${reason}`));
  }

  private run(client: Client, command: string, timeoutMs: number): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      let stream: ClientChannel | undefined;
      let settled = false;
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      const finish = (err: RdsError | undefined, code?: number) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.inflight.delete(failInflight);
        if (err) {
          stream?.close();
          reject(new RdsError(err.kind, err.message, command, { cause: err.cause }));
        } else {
          resolve({ stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8'), code });
        }
      };
      const failInflight = (e: RdsError) => finish(e);
      this.inflight.add(failInflight);
      const timer = setTimeout(() => finish(new RdsError('timeout', `command timed out after ${timeoutMs} ms`)), timeoutMs);
      const onChannel = (err: Error | undefined, ch: ClientChannel) => {
        if (err) {
          // Channel refused (session limit) or connection gone: both are transient.
          return finish(new RdsError('transport', `exec failed: ${err.message}`, command, { cause: err }));
        }
        if (settled) return void ch.close();
        stream = ch;
        let exitCode: number | undefined;
        let exited = false;
        ch.on('data', (d: Buffer) => stdout.push(d));
        ch.stderr.on('data', (d: Buffer) => stderr.push(d));
        ch.on('exit', (code: number | null) => {
          exited = true;
          exitCode = code ?? undefined;
        });
        ch.on('close', () => {
          // A channel that closes without an exit status was cut mid-command.
          if (!exited) finish(new RdsError('transport', 'channel closed before the command finished'));
          else finish(undefined, exitCode);
        });
      };
      try {
        client.exec(command, onChannel);
      } catch (e) {
        // The connection went away between the check and the exec.
        finish(new RdsError('transport', `exec failed: ${(e as Error).message}`, command, { cause: e }));
      }
    });
  }
}
