// RouterPort over the RouterOS REST client: container phases come from its
// version-normalised state (`status` ≤7.19, flags 7.20+), uptime from
// /system/resource.
import { isRouterOsError, type RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { ContainerPhase, RouterPort } from './router';

const UNITS: Record<string, number> = { w: 604_800_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** `1w2d7h44m20s` (RouterOS duration) → ms; throws on anything else. */
export function parseRosDuration(text: string): number {
  const t = text.trim();
  if (!/^(\d+(ms|w|d|h|m|s))+$/.test(t)) throw new Error(`not a RouterOS duration: ${JSON.stringify(text)}`);
  let ms = 0;
  for (const [, n, unit] of t.matchAll(/(\d+)(ms|w|d|h|m|s)/g)) ms += Number(n) * (UNITS[unit as string] ?? 0);
  return ms;
}

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
    return parseRosDuration((await this.client.system.resource()).uptime);
  }

  isTransient(err: unknown): boolean {
    return isRouterOsError(err) && err.retryable;
  }
}
