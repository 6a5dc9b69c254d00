// RouterPort over the RouterOS REST client: container phases come from its
// version-normalised state (`status` ≤7.19, flags 7.20+), uptime from
// /system/resource.
import { isRouterOsError, parseRosDuration, type RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { ContainerPhase, RouterPort } from './router';

export class RouterOsRouter implements RouterPort {
  constructor(private readonly client: RouterOsClient) {}

  async containers(): Promise<Map<string, ContainerPhase>> {
    const list = await this.client.containers.list();
    return new Map(list.map((c) => [c.name, c.state]));
  }

  async phase(container: string): Promise<ContainerPhase> {
    const c = await this.client.containers.find(container);
    return c ? c.state : 'missing';
  }

  async start(container: string): Promise<void> {
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
