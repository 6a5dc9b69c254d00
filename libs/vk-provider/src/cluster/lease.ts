// The node heartbeat: a coordination.k8s.io/v1 Lease in kube-node-lease named
// after the node, renewed every quarter of its duration (40 s → 10 s, as
// virtual-kubelet and the kubelet do), owned by the Node so it goes with it.
import { type CoordinationV1Api, type V1Lease, V1MicroTime, type V1Node } from '@kubernetes/client-node';
import { every, type Every, type Logger } from '@mikrotik-kube/service-kit';
import { isNotFound } from './kube';

export const LEASE_NAMESPACE = 'kube-node-lease';

export interface LeaseOptions {
  coordination: CoordinationV1Api;
  node: V1Node;
  durationSeconds: number;
  logger: Logger;
}

export class NodeLease {
  private loop: Every | undefined;
  private created = false;

  constructor(private readonly o: LeaseOptions) {}

  start(): void {
    this.loop = every('node lease', () => (this.o.durationSeconds * 1000) / 4, () => this.renew(), this.o.logger);
  }

  async stop(): Promise<void> {
    await this.loop?.stop();
  }

  async renew(): Promise<V1Lease> {
    const name = this.o.node.metadata?.name ?? '';
    const namespace = LEASE_NAMESPACE;
    let lease: V1Lease | undefined;
    try {
      lease = await this.o.coordination.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    // MicroTime: the API server wants exactly six fractional digits, a plain Date gives three.
    const spec = { holderIdentity: name, leaseDurationSeconds: this.o.durationSeconds, renewTime: new V1MicroTime() };
    const uid = this.o.node.metadata?.uid;
    const ownerReferences = uid ? [{ apiVersion: 'v1', kind: 'Node', name, uid }] : [];
    if (!lease) {
      const created = await this.o.coordination.createNamespacedLease({ namespace, body: { metadata: { name, namespace, ownerReferences }, spec } });
      if (!this.created) this.o.logger.info('node lease created', { node: name, durationSeconds: this.o.durationSeconds });
      this.created = true;
      return created;
    }
    // A replace carrying the read resourceVersion: a concurrent writer makes it fail, not vanish.
    // The owner is set again: a node deleted and re-registered has a new uid.
    // client-node reads MicroTime fields back as strings: re-wrap them so they serialize again.
    const acquired = lease.spec?.acquireTime;
    const kept = { ...lease.spec, ...(acquired ? { acquireTime: new V1MicroTime(String(acquired)) } : {}) };
    return this.o.coordination.replaceNamespacedLease({ name, namespace, body: { ...lease, metadata: { ...lease.metadata, ownerReferences }, spec: { ...kept, ...spec } } });
  }
}
