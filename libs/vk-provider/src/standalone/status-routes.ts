// Standalone status API on the ops port (service-kit routes): the pods as
// Kubernetes would show them, in boot order, and the state of the pods file.
//   GET /api/v1/pods                          → PodList
//   GET /api/v1/namespaces/<ns>/pods/<name>   → Pod | 404
//   GET /api/v1/podfile                       → { path, loadedAt, error, skipped, errors }
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { sendJson, type RouteHandler } from '@mikrotik-kube/service-kit';
import { BOOT_INDEX_ANNOTATION } from '../core/pod-status';
import type { PodFileState } from './pod-file';

export function sortByBootOrder(pods: V1Pod[]): V1Pod[] {
  const boot = (p: V1Pod) => Number(p.metadata?.annotations?.[BOOT_INDEX_ANNOTATION] ?? Number.MAX_SAFE_INTEGER);
  const key = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
  return [...pods].sort((a, b) => boot(a) - boot(b) || key(a).localeCompare(key(b)));
}

export function statusRoutes(pods: () => V1Pod[], file: () => PodFileState): RouteHandler {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET') return false;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/api/v1/pods') {
      sendJson(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: sortByBootOrder(pods()) });
      return true;
    }
    const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)$/.exec(path);
    if (m) {
      const [ns, name] = [decodeURIComponent(m[1] as string), decodeURIComponent(m[2] as string)];
      const pod = pods().find((p) => p.metadata?.namespace === ns && p.metadata?.name === name);
      if (pod) sendJson(res, 200, pod);
      else sendJson(res, 404, { kind: 'Status', status: 'Failure', reason: 'NotFound', message: `pods "${name}" not found`, code: 404 });
      return true;
    }
    if (path === '/api/v1/podfile') {
      const s = file();
      sendJson(res, 200, { path: s.path, loadedAt: s.loadedAt, error: s.error, pods: s.file?.pods.length ?? 0, skipped: s.file?.skipped ?? [], errors: s.file?.errors ?? [] });
      return true;
    }
    return false;
  };
}
