// The registry's HTTP(S) server: routing, auth, spec headers and errors, and
// request metrics. Handlers do the work; this file only dispatches.
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Logger } from '@mikrotik-kube/service-kit';
import { RegistryError } from '../errors';
import type { HtpasswdAuth } from './auth';
import { handleBlob } from './blobs';
import { send, sendError, type RequestContext } from './context';
import type { HandlerDeps } from './deps';
import { handleCatalog, handleReferrers, handleTags } from './discovery';
import { handleManifest } from './manifests';
import { matchRoute, type RouteName } from './router';
import { handleUpload, handleUploads } from './uploads';

export interface ServerOptions {
  deps: HandlerDeps;
  logger: Logger;
  auth?: HtpasswdAuth;
  tls?: { certFile: string; keyFile: string };
}

const handlers: Record<Exclude<RouteName, 'base'>, (ctx: RequestContext, deps: HandlerDeps) => Promise<void>> = {
  catalog: handleCatalog,
  uploads: handleUploads,
  upload: handleUpload,
  blob: handleBlob,
  manifest: handleManifest,
  tags: handleTags,
  referrers: handleReferrers,
};

const writes = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function createRegistryServer(opts: ServerOptions): Server {
  const { deps, logger, auth } = opts;
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('docker-distribution-api-version', 'registry/2.0');
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q >= 0 ? rawUrl.slice(0, q) : rawUrl;
    const query = new URLSearchParams(q >= 0 ? rawUrl.slice(q + 1) : '');
    const method = req.method ?? 'GET';
    let routeName = 'unknown';
    res.on('finish', () => deps.metrics.requests.inc({ route: routeName, method, status: String(res.statusCode) }));
    try {
      const route = matchRoute(path);
      if (!route) {
        send(res, 404, { 'content-type': 'text/plain' }, '404 page not found\n');
        return;
      }
      routeName = route.route;
      if (auth) await auth.check(req, route.route === 'base');
      if (route.route === 'base') {
        send(res, 200, { 'content-type': 'application/json' }, '{}');
        return;
      }
      if (writes.has(method) && route.name && deps.readOnly(route.name) && route.route !== 'manifest' && route.route !== 'blob') {
        throw new RegistryError('UNSUPPORTED', `${route.name} is a read-only cache of an upstream registry`);
      }
      const ctx: RequestContext = { req, res, method, path, query, name: route.name, param: route.param };
      await handlers[route.route](ctx, deps);
    } catch (err) {
      if (!req.complete && req.destroyed) {
        // The client went away mid-body; its upload was already cut back, nobody is left to answer.
        logger.info('client dropped the request', { method, path, error: (err as Error).message });
        return;
      }
      if (res.headersSent) {
        logger.warn('request failed after the response started', { method, path, error: (err as Error).message });
        res.destroy();
        return;
      }
      if (err instanceof RegistryError) {
        const headers: Record<string, string> = {};
        if (err.code === 'UNAUTHORIZED' && auth) headers['www-authenticate'] = auth.challenge();
        sendError(res, err, method, headers);
        return;
      }
      logger.error('request failed', { method, path, error: (err as Error).stack ?? String(err) });
      sendError(res, new RegistryError('UNKNOWN', 'internal error'), method);
    }
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  if (opts.tls) {
    return createHttpsServer({ cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) }, listener);
  }
  return createHttpServer(listener);
}
