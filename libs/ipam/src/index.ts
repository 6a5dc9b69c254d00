// The ipam service's modules; apps/ipam wires them into its process (and the all-in-one entry can host them too).
export { Allocator } from './allocator';
export { ipamSchema } from './config';
export type { IpamConfig } from './config';
export { registerIpamMetrics } from './metrics';
export { parseTag as parseIpamTag, tag as ipamTag } from './naming';
export { parseNetworks } from './network';
export type { Network } from './network';
export { Reconciler } from './reconcile';
export { restRouter } from './router-rest';
export { ipamHandlers } from './service';
export { syncUntilDone } from './startup';
export { ipamPart } from './part';
export type { IpamPart } from './part';
