// The status API and page on the ops port (service-kit routes), in both modes: the pods as
// Kubernetes would show them, in boot order, and the page that draws them.
//   GET / (or /status)                        → the status page (status-page.ts)
//   GET /status/view                          → its live part, which the page re-reads
//   GET /api/v1/pods                          → PodList
//   GET /api/v1/namespaces/<ns>/pods/<name>   → Pod | 404
//   GET /api/v1/podfile                       → { path, loadedAt, error, skipped, errors } (standalone)
// The ops port has no authentication. In cluster mode the API server holds the pods' specs
// (env values, last-applied annotations) behind RBAC, so here a pod is only its name, our
// annotations and its status — what the page and `mkube status` need.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { V1Pod } from '@kubernetes/client-node';
import { sendJson, type RouteHandler } from '@mikrotik-kube/service-kit';
import { BOOT_INDEX_ANNOTATION } from '../core/pod-status';
import type { PodFileState } from '../standalone/pod-file';
import type { RecentEvents } from './recent-events';
import type { RouterResources } from './router-resources';
import { PAGE_HEADERS, renderStatusPage, renderStatusView, type StatusView } from './status-page';

export function sortByBootOrder(pods: V1Pod[]): V1Pod[] {
  const boot = (p: V1Pod) => Number(p.metadata?.annotations?.[BOOT_INDEX_ANNOTATION] ?? Number.MAX_SAFE_INTEGER);
  const key = (p: V1Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;
  return [...pods].sort((a, b) => boot(a) - boot(b) || key(a).localeCompare(key(b)));
}

const OURS = /^(status\.)?mikrotik\.io\//;

/** The pod without its spec and with only our annotations. */
export function statusOnly(p: V1Pod): V1Pod {
  const m = p.metadata ?? {};
  const annotations = Object.fromEntries(Object.entries(m.annotations ?? {}).filter(([k]) => OURS.test(k)));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, creationTimestamp: m.creationTimestamp, annotations },
    status: p.status,
  };
}

export interface StatusSources {
  /** `standalone`, or `node <name>` in cluster mode. */
  title: string;
  pods: () => V1Pod[];
  /** Standalone: the pods file. */
  podFile?: () => PodFileState;
  /** Cluster mode: pods as statusOnly() shows them. */
  statusOnly?: boolean;
  events: RecentEvents;
  router: RouterResources;
}

export function statusRoutes(s: StatusSources): RouteHandler {
  const pods = () => {
    const list = sortByBootOrder(s.pods());
    return s.statusOnly ? list.map(statusOnly) : list;
  };
  const view = async (): Promise<StatusView> => ({ title: s.title, pods: pods(), events: s.events.latest(30), router: await s.router.get(), now: Date.now() });
  return async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method !== 'GET') return false;
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === '/' || path === '/status' || path === '/status/view') {
      const v = await view();
      const body = path === '/status/view' ? renderStatusView(v) : renderStatusPage(v);
      res.writeHead(200, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(body) });
      res.end(body);
      return true;
    }
    if (path === '/api/v1/pods') {
      sendJson(res, 200, { apiVersion: 'v1', kind: 'PodList', metadata: {}, items: pods() });
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
    if (path === '/api/v1/podfile' && s.podFile) {
      const f = s.podFile();
      sendJson(res, 200, { path: f.path, loadedAt: f.loadedAt, error: f.error, pods: f.file?.pods.length ?? 0, skipped: f.file?.skipped ?? [], errors: f.file?.errors ?? [] });
      return true;
    }
    return false;
  };
}
