// The pods bound to our node (field selector spec.nodeName=<node>), kept by
// client-node's list+watch. client-node stops the informer on any error other
// than 410 Gone; we start it again with backoff (1 s doubling to 30 s), which
// lists again. `synced` turns true only after the first full list: before it
// an empty cache means "not known yet", never "no pods" — nothing is removed
// from the router on its word.
import { type CoreV1Api, type KubeConfig, ListWatch, type V1Pod, Watch } from '@kubernetes/client-node';
import { backoffMs, type Logger } from '@mikrotik-kube/service-kit';

export interface PodInformerOptions {
  config: KubeConfig;
  core: CoreV1Api;
  nodeName: string;
  logger: Logger;
  /** Called after the first list and on every add, update and delete. */
  onChange: (reason: string, pod?: V1Pod) => void;
}

const MAX_BACKOFF_MS = 30_000;

export class PodInformer {
  private readonly informer: ListWatch<V1Pod>;
  private listed = false;
  private stopped = false;
  private failures = 0;
  private retry: NodeJS.Timeout | undefined;

  constructor(private readonly o: PodInformerOptions) {
    const fieldSelector = `spec.nodeName=${o.nodeName}`;
    const list = async () => {
      const result = await o.core.listPodForAllNamespaces({ fieldSelector });
      // ListWatch fills its cache right after this promise resolves; announce the sync after that.
      setImmediate(() => {
        this.failures = 0;
        if (!this.listed) o.logger.info('pods listed', { node: o.nodeName, pods: result.items.length });
        this.listed = true;
        o.onChange('pods listed');
      });
      return result;
    };
    this.informer = new ListWatch<V1Pod>('/api/v1/pods', new Watch(o.config), list, false, undefined, fieldSelector);
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.informer.on(verb, (pod) => {
        // A watch resumed after an error (no new list) that delivers again is healthy again.
        this.failures = 0;
        if (this.listed) o.onChange(`pod ${verb}`, pod);
      });
    }
    this.informer.on('error', (err) => this.restart(err));
  }

  get synced(): boolean {
    return this.listed;
  }

  start(): void {
    this.stopped = false;
    void this.informer.start().catch((err: unknown) => this.restart(err));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.informer.stop();
  }

  list(): readonly V1Pod[] {
    return this.informer.list();
  }

  get(namespace: string, name: string): V1Pod | undefined {
    return this.informer.get(name, namespace);
  }

  private restart(err: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delay = backoffMs(this.failures, { initialMs: 1000, maxMs: MAX_BACKOFF_MS });
    this.o.logger.warn('pod watch failed; listing again', { node: this.o.nodeName, error: err instanceof Error ? err.message : String(err), retryMs: delay });
    clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      if (!this.stopped) void this.informer.start().catch((e: unknown) => this.restart(e));
    }, delay);
  }
}
