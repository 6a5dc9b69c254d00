// The last events of this process in memory, for the status page: in standalone mode the only
// record of them, in cluster mode a copy of what the EventRecorder writes to the API server.
// A repeat of the newest event of the same object, reason and message bumps its count, as
// `kubectl get events` shows repeats.
import type { EventType, PodEvents } from '../core/services';

export interface RecentEvent {
  /** `pod/<ns>/<name>` or `node/<name>`. */
  object: string;
  container?: string;
  type: EventType;
  reason: string;
  message: string;
  count: number;
  first: Date;
  last: Date;
}

export class RecentEvents implements PodEvents {
  private readonly events: RecentEvent[] = [];

  constructor(private readonly max = 200) {}

  emit(podKey: string, container: string | undefined, type: EventType, reason: string, message: string): void {
    this.add(`pod/${podKey}`, type, reason, message, container);
  }

  add(object: string, type: EventType, reason: string, message: string, container?: string): void {
    const now = new Date();
    const i = this.events.findLastIndex((e) => e.object === object && e.container === container);
    const prior = i >= 0 ? this.events[i] : undefined;
    if (prior && prior.reason === reason && prior.message === message && prior.type === type) {
      prior.count++;
      prior.last = now;
      this.events.splice(i, 1);
      this.events.push(prior);
      return;
    }
    this.events.push({ object, ...(container ? { container } : {}), type, reason, message, count: 1, first: now, last: now });
    if (this.events.length > this.max) this.events.shift();
  }

  /** Newest first. */
  latest(n: number): RecentEvent[] {
    return this.events.slice(-n).reverse();
  }
}
