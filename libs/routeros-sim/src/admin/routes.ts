// Test and demo controls outside `/rest` (no router has these): faults, REST call counts,
// container listeners, crashes, output and usage. Loopback only, like the rest of the simulator.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RosError, badRequest } from '../state/errors';
import { updateFaults } from '../faults';
import type { ListenSpec } from '../containers/listener';
import type { SimContext } from '../plugin';
import type { RestFace } from '../rest/http';
import { send } from '../rest/http';

const MAX_ADMIN_BODY = 64 * 1024;

async function jsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const c of req) {
    text += (c as Buffer).toString('utf8');
    if (text.length > MAX_ADMIN_BODY) throw new RosError(413);
  }
  if (!text) return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw badRequest('body must be a JSON object');
}

/** `{memoryBytes?, cpuPercent?}`: bytes a whole number, the percentage 0..100 (of the router). */
function usageSpec(b: Record<string, unknown>): { memoryBytes?: number; cpuPercent?: number } {
  const mem = b['memoryBytes'];
  const cpu = b['cpuPercent'];
  if (mem === undefined && cpu === undefined) throw badRequest('give memoryBytes and/or cpuPercent');
  if (mem !== undefined && (typeof mem !== 'number' || !Number.isSafeInteger(mem) || mem < 0)) throw badRequest('memoryBytes must be a whole number ≥ 0');
  if (cpu !== undefined && (typeof cpu !== 'number' || !Number.isFinite(cpu) || cpu < 0 || cpu > 100)) throw badRequest('cpuPercent must be 0..100');
  return { memoryBytes: mem as number | undefined, cpuPercent: cpu as number | undefined };
}

function listenSpec(b: Record<string, unknown>): ListenSpec {
  const port = b['port'];
  const kind = b['kind'] ?? 'http';
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw badRequest('port must be 1..65535');
  if (kind !== 'http' && kind !== 'tcp') throw badRequest('kind must be http or tcp');
  const status = b['status'];
  if (status !== undefined && (typeof status !== 'number' || status < 100 || status > 599)) throw badRequest('status must be 100..599');
  const body = b['body'];
  if (body !== undefined && typeof body !== 'string') throw badRequest('body must be a string');
  return { port, kind, status: status as number | undefined, body: body as string | undefined };
}

export async function handleAdmin(ctx: SimContext, rest: RestFace, runtime: () => object, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const parts = url.pathname.replace(/^\/_sim\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const m = req.method ?? 'GET';
  try {
    const body = m === 'GET' ? {} : await jsonBody(req);
    if (parts[0] === 'faults' && parts.length === 1) {
      if (m === 'PUT' || m === 'POST' || m === 'PATCH') updateFaults(ctx.faults, body);
      return send(res, ctx.faults, 200);
    }
    if (parts[0] === 'runtime' && parts.length === 1) return send(res, runtime(), 200);
    if (parts[0] === 'stats') {
      if (parts[1] === 'reset' && m === 'POST') rest.resetStats();
      return send(res, rest.stats, 200);
    }
    if (parts[0] === 'containers' && parts.length === 3 && parts[1]) {
      const name = parts[1];
      if (parts[2] === 'listen') {
        await ctx.containers.setListen(name, m === 'DELETE' ? undefined : listenSpec(body));
        return send(res, { ok: true }, 200);
      }
      if (parts[2] === 'crash' && m === 'POST') {
        const code = typeof body['exitCode'] === 'number' ? body['exitCode'] : 255;
        await ctx.containers.crash(name, code);
        return send(res, { ok: true }, 200);
      }
      if (parts[2] === 'usage' && m === 'POST') {
        ctx.containers.setUsage(name, usageSpec(body));
        return send(res, { ok: true }, 200);
      }
      if (parts[2] === 'output' && m === 'POST') {
        const lines = body['lines'];
        if (!Array.isArray(lines) || !lines.every((l) => typeof l === 'string')) throw badRequest('lines must be strings');
        ctx.containers.output(name, lines as string[]);
        return send(res, { ok: true }, 200);
      }
    }
    send(res, new RosError(404).body(), 404);
  } catch (e) {
    const err = e instanceof RosError ? e : new RosError(500, (e as Error).message);
    send(res, err.body(), err.status);
  }
}
