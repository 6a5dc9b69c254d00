// The router's /system/resource for the status page: read when the page asks and the last
// read is older than `maxAgeMs`, never more than one read at a time, so a page left open
// (or many) costs the router one small read every few seconds at most. A page does not wait
// long for a slow router: it shows the last answer and the error.
import type { SystemResource } from '@mikrotik-kube/routeros-rest';

export interface ResourceReading {
  resource?: SystemResource;
  /** Why the last read failed (the resource, if any, is an older answer). */
  error?: string;
  /** When it was read (Unix ms); 0 = never. */
  at: number;
}

export class RouterResources {
  private last: ResourceReading = { at: 0 };
  private inflight: Promise<void> | undefined;

  constructor(
    private readonly read: () => Promise<SystemResource>,
    private readonly maxAgeMs = 5000,
  ) {}

  async get(waitMs = 1500): Promise<ResourceReading> {
    if (!this.inflight && Date.now() - this.last.at > this.maxAgeMs) {
      this.inflight = this.read().then(
        (resource) => void (this.last = { resource, at: Date.now() }),
        (err: unknown) => void (this.last = { ...(this.last.resource ? { resource: this.last.resource } : {}), error: err instanceof Error ? err.message : String(err), at: Date.now() }),
      ).finally(() => (this.inflight = undefined));
    }
    if (this.inflight) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.inflight, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    return this.last;
  }
}
