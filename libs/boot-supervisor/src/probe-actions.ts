// One probe attempt against the unit's own address (the Go mikrotik-kube probed
// localhost, i.e. itself): HTTP GET (200–399 is success, no
// redirects followed, HTTPS without certificate checks like the kubelet), a
// TCP connect, or the container's RouterOS status.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { kube } from '@mikrotik-kube/proto';

export interface ProbeOutcome {
  ok: boolean;
  detail: string;
}

export interface ProbeContext {
  /** Unit address from IPAM, with or without a /prefix. */
  address: string;
  container: string;
  /** Current RouterOS status of the container (normalised, e.g. "running"). */
  routerStatus(container: string): Promise<string>;
}

export type ProbeHandler =
  | { kind: 'http'; action: kube.HttpGetAction__Output }
  | { kind: 'tcp'; action: kube.TcpSocketAction__Output }
  | { kind: 'routeros' };

/** Strips a CIDR suffix: IPAM hands out "172.17.0.2/24". */
export const hostOf = (address: string) => address.split('/')[0]?.trim() ?? '';

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

export async function runAction(handler: ProbeHandler, ctx: ProbeContext, timeoutMs: number): Promise<ProbeOutcome> {
  switch (handler.kind) {
    case 'http':
      return httpGet(handler.action, handler.action.host || hostOf(ctx.address), timeoutMs);
    case 'tcp':
      return tcpConnect(handler.action.host || hostOf(ctx.address), handler.action.port, timeoutMs);
    case 'routeros': {
      const status = await withTimeout(ctx.routerStatus(ctx.container), timeoutMs);
      return { ok: status === 'running', detail: `routeros status ${status}` };
    }
  }
}

function httpGet(a: kube.HttpGetAction__Output, host: string, timeoutMs: number): Promise<ProbeOutcome> {
  const https = a.scheme.toUpperCase() === 'HTTPS';
  const path = a.path.startsWith('/') ? a.path : `/${a.path}`;
  const url = `${https ? 'https' : 'http'}://${urlHost(host)}:${a.port}${path}`;
  const headers: Record<string, string> = { 'user-agent': 'mikrotik-kube-probe/1', accept: '*/*' };
  for (const h of a.headers) headers[h.name.toLowerCase()] = h.value;
  return new Promise((resolve) => {
    const req = (https ? httpsRequest : httpRequest)(
      url,
      { method: 'GET', headers, timeout: timeoutMs, ...(https ? { rejectUnauthorized: false } : {}) },
      (res) => {
        const code = res.statusCode ?? 0;
        res.resume();
        resolve({ ok: code >= 200 && code < 400, detail: `GET ${url}: HTTP ${code}` });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    req.on('error', (err) => resolve({ ok: false, detail: `GET ${url}: ${err.message}` }));
    req.end();
  });
}

function tcpConnect(host: string, port: number, timeoutMs: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const target = `${urlHost(host)}:${port}`;
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, detail: `tcp ${target}: connected` });
    });
    socket.once('timeout', () => socket.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    socket.once('error', (err) => resolve({ ok: false, detail: `tcp ${target}: ${err.message}` }));
  });
}

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
