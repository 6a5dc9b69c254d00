// `/tool/fetch`: a real HTTP(S) download into the simulated file store (routeros-reference.md
// §3.5). Reached over REST as `POST /rest/tool/fetch`; replies when the transfer has ended.
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { badRequest, invalidValue, missingArgument } from '../state/errors';
import type { MenuSpec } from '../state/menu-spec';
import type { FileStore } from '../files/store';
import { appendLog } from './system';

const USER_OUTPUT_MAX = 64 * 1024;

function str(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw invalidValue(name);
  return v;
}

export function toolMenu(files: FileStore): MenuSpec {
  return {
    path: 'tool',
    readOnly: true,
    commands: {
      fetch: async (args, ctx) => {
        const known = new Set(['url', 'dst-path', 'mode', 'output', 'http-method', 'check-certificate', 'keep-result', 'as-value', 'duration', 'once', 'user', 'password']);
        for (const k of Object.keys(args)) if (!known.has(k)) throw badRequest(`unknown parameter ${k}`);
        const raw = str(args['url'], 'url');
        if (!raw) throw missingArgument('url');
        let url: URL;
        try {
          url = new URL(raw);
        } catch {
          throw invalidValue('url');
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badRequest('failure: unsupported mode');
        const output = str(args['output'], 'output') ?? 'file';
        if (!['file', 'user', 'none'].includes(output)) throw invalidValue('output');
        const method = (str(args['http-method'], 'http-method') ?? 'get').toUpperCase();
        if (!['GET', 'HEAD'].includes(method)) throw invalidValue('http-method');
        const dst = str(args['dst-path'], 'dst-path') || decodeURIComponent(url.pathname.split('/').pop() || 'index.html');
        if (output === 'file') files.resolve(dst);
        const user = str(args['user'], 'user');
        const headers: Record<string, string> = {};
        if (user) headers['authorization'] = `Basic ${Buffer.from(`${user}:${str(args['password'], 'password') ?? ''}`).toString('base64')}`;
        const started = Date.now();
        let res: Response;
        try {
          res = await fetch(url, { method, headers, redirect: 'follow', signal: AbortSignal.timeout(55_000) });
        } catch (e) {
          const cause = (e as { cause?: { code?: string } }).cause?.code;
          throw badRequest(cause === 'ECONNREFUSED' ? 'failure: connection refused' : `failure: ${(e as Error).message}`);
        }
        if (!res.ok) {
          await res.body?.cancel();
          throw badRequest(`failure: closing connection: <${res.status} ${res.statusText}> ${url.host} (4)`);
        }
        let size = 0;
        let data: string | undefined;
        if (output === 'file' && res.body) {
          size = await files.writeStream(dst, Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), files.space().free);
        } else if (output === 'user') {
          const buf = Buffer.from(await res.arrayBuffer());
          if (buf.length > USER_OUTPUT_MAX) throw badRequest('failure: file size exceeds 64KiB limit');
          size = buf.length;
          data = buf.toString('utf8');
        } else await res.body?.cancel();
        appendLog(ctx, 'fetch,info', `Download from ${url.host} to ${output === 'file' ? dst : output} FINISHED`);
        const kib = String(Math.round(size / 1024));
        return [
          {
            status: 'finished',
            downloaded: kib,
            total: kib,
            duration: `${Math.max(1, Math.round((Date.now() - started) / 1000))}s`,
            ...(data !== undefined ? { data } : {}),
          },
        ];
      },
    },
  };
}
