// The router's web server face: `/rest` with Basic auth, body limits, per-user serialisation
// and fault injection; `/_sim` (admin, loopback tooling) is routed to the admin handler.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RosError, badRequest } from '../state/errors';
import type { SimState } from '../state/store';
import type { Faults } from '../faults';
import { dispatch } from './dispatch';
import { hasExponentNumber } from './query';
import { UserQueues } from './user-queue';

export interface RestStats {
  total: number;
  byUser: Record<string, number>;
  /** `METHOD menu[/command]`, e.g. `GET container`, `POST container/start`. */
  byRoute: Record<string, number>;
  /** Most requests ever served at once, per user and overall (the router serialises per user). */
  peakConcurrency: { overall: number; byUser: Record<string, number> };
}

export interface RestOptions {
  state: SimState;
  faults: Faults;
  users: ReadonlyMap<string, string>;
  maxBodyBytes: number;
  requestLimitMs: number;
  log(topics: string, message: string): void;
}

export class RestFace {
  readonly stats: RestStats = { total: 0, byUser: {}, byRoute: {}, peakConcurrency: { overall: 0, byUser: {} } };
  private readonly active = new Map<string, number>();
  private activeTotal = 0;
  private readonly queues: UserQueues;

  constructor(private readonly o: RestOptions) {
    this.queues = new UserQueues(o.requestLimitMs);
  }

  resetStats(): void {
    Object.assign(this.stats, { total: 0, byUser: {}, byRoute: {}, peakConcurrency: { overall: 0, byUser: {} } });
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const user = this.authenticate(req);
    if (!user) {
      send(res, new RosError(401).body(), 401, { 'www-authenticate': 'Basic realm="RouterOS"' });
      req.resume();
      return;
    }
    const segments = url.pathname.replace(/^\/rest\/?/, '').split('/').filter(Boolean);
    this.count(user, req.method ?? 'GET', segments);
    let body: Record<string, unknown> | undefined;
    try {
      body = await this.readBody(req);
    } catch (e) {
      if (e instanceof RosError) send(res, e.body(), e.status);
      else res.destroy();
      return;
    }
    try {
      const reply = await this.queues.run(user, async () => {
        this.enter(user);
        try {
          if (this.o.faults.latencyMs > 0) await new Promise((r) => setTimeout(r, this.o.faults.latencyMs));
          if (Math.random() < this.o.faults.resetRate) return 'reset' as const;
          if (Math.random() < this.o.faults.errorRate) throw new RosError(500, 'std failure: simulated fault (13)');
          const r = await dispatch(this.o.state, { method: req.method ?? 'GET', segments, query: url.searchParams, body });
          this.o.state.flush();
          if (this.o.faults.dropNextReplies > 0) {
            this.o.faults.dropNextReplies--;
            return 'reset' as const;
          }
          return r;
        } finally {
          this.leave(user);
        }
      });
      if (reply === 'reset') {
        req.socket.resetAndDestroy();
        return;
      }
      if (reply.status === 204) {
        res.writeHead(204, reply.headers).end();
        return;
      }
      send(res, reply.body, reply.status, reply.headers);
    } catch (e) {
      if (e instanceof RosError) send(res, e.body(), e.status);
      else send(res, new RosError(500, (e as Error).message).body(), 500);
    }
  }

  private enter(user: string): void {
    const n = (this.active.get(user) ?? 0) + 1;
    this.active.set(user, n);
    this.activeTotal++;
    const peak = this.stats.peakConcurrency;
    peak.byUser[user] = Math.max(peak.byUser[user] ?? 0, n);
    peak.overall = Math.max(peak.overall, this.activeTotal);
  }

  private leave(user: string): void {
    this.active.set(user, (this.active.get(user) ?? 1) - 1);
    this.activeTotal--;
  }

  private authenticate(req: IncomingMessage): string | undefined {
    const h = req.headers.authorization ?? '';
    const m = /^Basic\s+(\S+)$/i.exec(h);
    if (!m) return undefined;
    const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const name = i < 0 ? decoded : decoded.slice(0, i);
    const password = i < 0 ? '' : decoded.slice(i + 1);
    if (this.o.users.get(name) === password && this.o.users.has(name)) return name;
    this.o.log('system,error,critical', `login failure for user ${name} from ${req.socket.remoteAddress ?? ''} via rest`);
    return undefined;
  }

  private count(user: string, method: string, segments: string[]): void {
    const path = segments.filter((s) => !s.startsWith('*')).join('/');
    const route = `${method} ${path}`;
    this.stats.total++;
    this.stats.byUser[user] = (this.stats.byUser[user] ?? 0) + 1;
    this.stats.byRoute[route] = (this.stats.byRoute[route] ?? 0) + 1;
  }

  private async readBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > this.o.maxBodyBytes) {
      req.resume();
      throw new RosError(413);
    }
    const chunks: Buffer[] = [];
    let n = 0;
    for await (const c of req) {
      n += (c as Buffer).length;
      if (n > this.o.maxBodyBytes) throw new RosError(413);
      chunks.push(c as Buffer);
    }
    if (n === 0) return undefined;
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) throw new RosError(415);
    const text = Buffer.concat(chunks).toString('utf8');
    let parsed: unknown;
    try {
      if (hasExponentNumber(text)) throw new Error('exponent');
      parsed = JSON.parse(text);
    } catch {
      throw badRequest('Failed to parse json');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('Failed to parse json');
    return parsed as Record<string, unknown>;
  }
}

export function send(res: ServerResponse, body: unknown, status: number, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}
