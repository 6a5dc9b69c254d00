// Shared test plumbing: an in-process simulator on loopback and a raw REST caller, so the
// simulator's wire behaviour is asserted without the client library in between.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Simulator, type SimulatorOptions } from '../src/index';

export interface Raw {
  status: number;
  body: unknown;
  headers: Headers;
}

export async function startSim(opts: SimulatorOptions = {}): Promise<{ sim: Simulator; base: string; admin: string; call: Caller; dataDir: string }> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'sim-test-'));
  const sim = new Simulator({ users: { admin: 'pw', other: 'pw2' }, faults: { extractMs: 30 }, ...opts, dataDir });
  const urls = await sim.start();
  return { sim, base: urls.rest, admin: urls.admin, call: caller(urls.rest), dataDir };
}

export type Caller = (method: string, path: string, body?: unknown, opts?: { user?: string; password?: string; headers?: Record<string, string>; raw?: string }) => Promise<Raw>;

export function caller(base: string): Caller {
  return async (method, path, body, opts = {}) => {
    const auth = Buffer.from(`${opts.user ?? 'admin'}:${opts.password ?? 'pw'}`).toString('base64');
    const headers: Record<string, string> = { authorization: `Basic ${auth}`, ...opts.headers };
    let payload: string | undefined = opts.raw;
    if (body !== undefined) {
      payload = JSON.stringify(body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${base}${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON (HTML pages)
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
}

export async function waitFor<T>(fn: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
