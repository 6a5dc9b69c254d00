// `/tool/fetch`: a real HTTP(S) download into the simulated file store (docs/routeros.md
// "Files"). Certificates are checked only with `check-certificate=yes` (the router's default is
// no). Reached over REST as `POST /rest/tool/fetch`; replies when the transfer has ended.
import type { IncomingMessage } from 'node:http';
import { badRequest, invalidValue, missingArgument } from '../state/errors';
import type { MenuSpec } from '../state/menu-spec';
import type { FileStore } from '../files/store';
import { httpGet } from '../files/http-get';
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
        let res: IncomingMessage;
        try {
          const checkCertificate = ['yes', 'yes-without-crl', 'true'].includes(str(args['check-certificate'], 'check-certificate') ?? 'no');
          res = await httpGet(url, { method: method as 'GET' | 'HEAD', headers, checkCertificate, timeoutMs: 55_000 });
        } catch (e) {
          const code = (e as { code?: string }).code;
          throw badRequest(code === 'ECONNREFUSED' ? 'failure: connection refused' : `failure: ${(e as Error).message}`);
        }
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          res.resume();
          throw badRequest(`failure: closing connection: <${status} ${res.statusMessage ?? ''}> ${url.host} (4)`);
        }
        let size = 0;
        let data: string | undefined;
        if (output === 'file') {
          size = await files.writeStream(dst, res, files.space().free);
        } else if (output === 'user') {
          const chunks: Buffer[] = [];
          for await (const c of res) {
            size += (c as Buffer).length;
            if (size > USER_OUTPUT_MAX) {
              res.destroy();
              throw badRequest('failure: file size exceeds 64KiB limit');
            }
            chunks.push(c as Buffer);
          }
          data = Buffer.concat(chunks).toString('utf8');
        } else res.resume();
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
