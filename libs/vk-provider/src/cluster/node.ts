// The Virtual Kubelet Node: registered (created, or labels and taint updated)
// once the router has answered, then the router is pinged every
// cluster.pingSeconds and nodes/status patched when readiness flips or every
// cluster.statusSeconds. A router that stops answering turns Ready False at once
// (the process is alive, so the lease keeps being renewed and the node
// controller does not override our reason with Unknown).
import { type CoreV1Api, PatchStrategy, setHeaderOptions, type V1Node } from '@kubernetes/client-node';
import type { RouterOsClient, SystemResource } from '@mikrotik-kube/routeros-rest';
import { every, type Every, type Logger } from '@mikrotik-kube/service-kit';
import type { ClusterConfig } from '../config';
import { isNotFound } from './kube';
import { nextPressures, nodeLabels, nodeStatus, type Pressures, type Reachability, withProviderTaint } from './node-shape';
import type { CsrState, ServingCsrStatus } from './serving-csr-status';

export interface NodeControllerOptions {
  core: CoreV1Api;
  router: RouterOsClient;
  cluster: ClusterConfig;
  routerUrl: string;
  /** Our kubelet API, published in the Node (addresses, daemonEndpoints) when it runs. */
  kubelet?: { address?: string; port: number };
  logger: Logger;
  /** This replica's serving CSR: published as a condition, at once when it changes. */
  servingCsr?: ServingCsrStatus;
  /** Called with the registered node each time it is (re-)created or updated in the API server. */
  onRegistered?: (node: V1Node) => void;
}

export class NodeController {
  private resource: SystemResource | undefined;
  private reach: Reachability = { ok: false, error: 'not asked yet', since: new Date() };
  private registered: V1Node | undefined;
  private lastPush = 0;
  private pushedReady: boolean | undefined;
  private pressures: Pressures | undefined;
  private pushedPressures: Pressures | undefined;
  private pushedCsr: CsrState | undefined;
  private loop: Every | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly o: NodeControllerOptions) {}

  get node(): V1Node | undefined {
    return this.registered;
  }

  start(): void {
    this.loop = every('node status', () => this.o.cluster.pingSeconds * 1000, () => this.tick(), this.o.logger);
    this.unsubscribe = this.o.servingCsr?.onChange(() => this.loop?.kick());
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.loop?.stop();
  }

  private async tick(): Promise<void> {
    await this.ping();
    if (!this.registered) {
      // Labels need the router's architecture: no node until it has answered once.
      if (!this.resource) return;
      this.registered = await this.register(this.resource);
      this.o.onRegistered?.(this.registered);
    }
    const due = Date.now() - this.lastPush >= this.o.cluster.statusSeconds * 1000;
    const changed = this.pushedReady !== this.reach.ok || this.pushedPressures !== this.pressures || this.pushedCsr !== this.o.servingCsr?.current;
    if (due || changed) await this.pushStatus();
  }

  private async ping(): Promise<void> {
    try {
      this.resource = await this.o.router.system.resource();
      // A new object only when a pressure flips, so the identity check above notices it.
      const next = nextPressures(this.pressures, this.resource, new Date());
      if (next.memory !== this.pressures?.memory || next.disk !== this.pressures.disk) this.pressures = next;
      if (!this.reach.ok) {
        this.reach = { ok: true, since: new Date() };
        this.o.logger.info('router answers', { node: this.o.cluster.nodeName, version: this.resource.version });
      }
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (this.reach.ok || !this.registered) this.o.logger.warn('router does not answer', { node: this.o.cluster.nodeName, error });
      this.reach = { ok: false, error, since: this.reach.ok ? new Date() : this.reach.since };
    }
  }

  private async register(resource: SystemResource): Promise<V1Node> {
    const name = this.o.cluster.nodeName;
    const labels = nodeLabels(name, resource);
    let existing: V1Node | undefined;
    try {
      existing = await this.o.core.readNode({ name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    if (!existing) {
      const created = await this.o.core.createNode({ body: { metadata: { name, labels }, spec: { taints: withProviderTaint(undefined) } } });
      this.o.logger.info('node created', { node: name });
      return created;
    }
    // Taints have no merge key: send the whole list, others' taints kept; the
    // resourceVersion makes a concurrent change fail (and retry next tick).
    const body = { metadata: { labels, resourceVersion: existing.metadata?.resourceVersion }, spec: { taints: withProviderTaint(existing.spec?.taints) } };
    const updated = await this.o.core.patchNode({ name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    this.o.logger.info('node updated', { node: name });
    return updated;
  }

  private async pushStatus(): Promise<void> {
    const c = this.o.cluster;
    const csr = this.o.servingCsr?.current;
    const status = nodeStatus({
      nodeName: c.nodeName,
      maxPods: c.maxPods,
      routerUrl: this.o.routerUrl,
      kubelet: this.o.kubelet,
      resource: this.resource,
      reachability: this.reach,
      pressures: this.pressures,
      servingCsr: csr,
      now: new Date(),
    });
    // Strategic merge: conditions merge by type, so conditions others own survive.
    try {
      await this.o.core.patchNodeStatus({ name: c.nodeName, body: { status } }, setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch));
    } catch (err) {
      // Someone deleted the node: register it again on the next tick, as virtual-kubelet does.
      if (isNotFound(err)) {
        this.o.logger.warn('node deleted in the API server; registering it again', { node: c.nodeName });
        this.registered = undefined;
        this.pushedReady = undefined;
      }
      throw err;
    }
    this.lastPush = Date.now();
    if (this.pushedReady !== this.reach.ok) this.o.logger.info('node status', { node: c.nodeName, ready: this.reach.ok, reason: this.reach.error });
    this.pushedReady = this.reach.ok;
    this.pushedPressures = this.pressures;
    this.pushedCsr = csr;
  }
}
