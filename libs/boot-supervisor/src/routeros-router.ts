// RouterPort over the RouterOS REST client: container phases come from its
// version-normalised state (`status` ≤7.19, flags 7.20+), uptime from
// /system/resource. A start goes by the `.id` of the list the same pass just read, which
// spares the lookup by name a command by name costs (one more REST call per start).
import { isRouterOsError, parseRosDuration, type RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { ContainerPhase, RouterPort } from './router';

export class RouterOsRouter implements RouterPort {
  /** Container name → `.id` as the last list showed it. */
  private ids = new Map<string, string>();

  constructor(private readonly client: RouterOsClient) {}

  async containers(): Promise<Map<string, ContainerPhase>> {
    const list = await this.client.containers.list();
    this.ids = new Map(list.map((c) => [c.name, c.id]));
    return new Map(list.map((c) => [c.name, c.state]));
  }

  async phase(container: string): Promise<ContainerPhase> {
    const c = await this.client.containers.find(container);
    return c ? c.state : 'missing';
  }

  async start(container: string): Promise<void> {
    const id = this.ids.get(container);
    if (id) {
      try {
        return await this.client.containers.start(id);
      } catch (e) {
        // Recreated since the list: its old id is gone; the name finds the new one.
        if (!isRouterOsError(e, 'not-found')) throw e;
      }
    }
    await this.client.containers.start(container);
  }

  async stop(container: string): Promise<void> {
    await this.client.containers.stop(container);
  }

  async uptimeMs(): Promise<number> {
    const { uptime } = await this.client.system.resource();
    const seconds = parseRosDuration(uptime);
    // A reboot is seen as uptime going back: an unreadable uptime must not look like one.
    if (seconds === undefined) throw new Error(`not a RouterOS duration: ${JSON.stringify(uptime)}`);
    return Math.round(seconds * 1000);
  }

  isTransient(err: unknown): boolean {
    return isRouterOsError(err) && err.retryable;
  }
}
