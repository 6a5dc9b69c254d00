// A few SSH connections to one RDS, each with its own bounded exec channels: a command goes to
// the connection with the fewest commands on it. One connection's channel limit (RouterOS
// bounds sessions per connection) caps how many commands run at once; more connections lift it.
import { SshConnection, type ConnectionEvents, type ExecResult, type SshTarget } from './connection';
import { RdsError } from './errors';

export class SshPool {
  readonly connections: SshConnection[];

  constructor(target: SshTarget & { connections?: number }, events: ConnectionEvents = {}) {
    const n = target.connections ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new RdsError('invalid-input', `connections must be a positive integer, not ${n}`);
    this.connections = Array.from({ length: n }, () => new SshConnection(target, events));
  }

  /** Whether any connection is up. */
  get connected(): boolean {
    return this.connections.some((c) => c.connected);
  }

  exec(command: string, timeoutMs?: number): Promise<ExecResult> {
    let best = this.connections[0] as SshConnection;
    for (const c of this.connections) if (c.load < best.load) best = c;
    return best.exec(command, timeoutMs);
  }

  close(): void {
    for (const c of this.connections) c.close();
  }
}
