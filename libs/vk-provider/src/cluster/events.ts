// Pod and Node events in the API server (core/v1 Event, what `kubectl describe pod|node` and
// `kubectl get events` show), written in order by one queue so Pulling comes
// before Pulled. A repeat of the same event for the same container within ten
// minutes bumps `count` and `lastTimestamp` instead of adding one, as the
// kubelet's recorder does. Failures are logged, never thrown: events are
// best effort and must not stop a pod from running.
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1ObjectReference, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { EventType, PodEvents } from '../core/services';

export interface EventRecorderOptions {
  core: CoreV1Api;
  nodeName: string;
  /** The API object of a pod by key (`ns/name`); events for pods we do not know are dropped. */
  pod: (key: string) => V1Pod | undefined;
  logger: Logger;
  /** Gets a copy of every event written (the status page's recent events). */
  mirror?: { add(object: string, type: EventType, reason: string, message: string, container?: string): void };
}

interface Seen {
  name: string;
  namespace: string;
  count: number;
  last: number;
}

type Involved = V1ObjectReference & { kind: string; name: string; namespace: string };

const AGGREGATE_MS = 10 * 60_000;
const MAX_REMEMBERED = 2000;
export const EVENT_COMPONENT = 'mikrotik-kube-vk';

export class EventRecorder implements PodEvents {
  private readonly seen = new Map<string, Seen>();
  private queue: Promise<void> = Promise.resolve();
  private serial = 0;

  constructor(private readonly o: EventRecorderOptions) {}

  emit(podKey: string, container: string | undefined, type: EventType, reason: string, message: string): void {
    const pod = this.o.pod(podKey);
    if (!pod?.metadata?.name) return;
    const namespace = pod.metadata.namespace || 'default';
    const object = { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, namespace, uid: pod.metadata.uid ?? '', ...(container ? { fieldPath: `spec.containers{${container}}` } : {}) };
    this.o.mirror?.add(`pod/${podKey}`, type, reason, message, container);
    this.enqueue(object, type, reason, message);
  }

  /** An event about our Node; like the kubelet's, in namespace default with the node name as uid. */
  emitNode(type: EventType, reason: string, message: string): void {
    const name = this.o.nodeName;
    this.o.mirror?.add(`node/${name}`, type, reason, message);
    this.enqueue({ apiVersion: 'v1', kind: 'Node', name, namespace: 'default', uid: name }, type, reason, message);
  }

  private enqueue(object: Involved, type: EventType, reason: string, message: string): void {
    this.queue = this.queue.then(() =>
      this.write(object, type, reason, message).catch((err: unknown) => {
        this.o.logger.warn('event not recorded', { object: `${object.kind.toLowerCase()}/${object.namespace}/${object.name}`, reason, error: err instanceof Error ? err.message : String(err) });
      }),
    );
  }

  /** Resolves once every event emitted so far is written (or failed). */
  flush(): Promise<void> {
    return this.queue;
  }

  private async write(object: Involved, type: EventType, reason: string, message: string): Promise<void> {
    const { namespace } = object;
    const key = `${object.kind}\u0000${object.uid ?? ''}\u0000${object.fieldPath ?? ''}\u0000${reason}\u0000${message}`;
    const now = new Date();
    const prior = this.seen.get(key);
    if (prior && now.getTime() - prior.last < AGGREGATE_MS) {
      prior.count++;
      prior.last = now.getTime();
      const body = { count: prior.count, lastTimestamp: now };
      try {
        await this.o.core.patchNamespacedEvent({ name: prior.name, namespace, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        return;
      } catch {
        // Gone (events expire after an hour): write a new one.
        this.seen.delete(key);
      }
    }
    const name = `${object.name}.${now.getTime().toString(16)}${(this.serial++ % 4096).toString(16).padStart(3, '0')}`;
    await this.o.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name, namespace },
        involvedObject: object,
        reason,
        message,
        type,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: EVENT_COMPONENT, host: this.o.nodeName },
        reportingComponent: EVENT_COMPONENT,
        reportingInstance: this.o.nodeName,
      },
    });
    this.seen.set(key, { name, namespace, count: 1, last: now.getTime() });
    if (this.seen.size > MAX_REMEMBERED) this.seen.delete(this.seen.keys().next().value as string);
  }
}
