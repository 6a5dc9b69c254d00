// The Ipam gRPC service (proto/mikrotik/kube/v1/ipam.proto) over the allocator:
// request checks, error-to-status mapping, allocation latency.
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { kube } from '@mikrotik-kube/proto';
import type { ServerUnaryCall } from '@grpc/grpc-js';
import type { Allocation } from './allocation';
import type { Allocator } from './allocator';
import { IpamError, type IpamErrorKind } from './errors';
import type { IpamMetrics } from './metrics';
import { intToIp } from './network';
import type { Reconciler } from './reconcile';
import { RouterError } from './router';

const CODES: Record<IpamErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  exhausted: status.RESOURCE_EXHAUSTED,
  conflict: status.ALREADY_EXISTS,
  aborted: status.ABORTED,
  'not-ready': status.UNAVAILABLE,
  internal: status.INTERNAL,
};

/** Domain and router failures as gRPC status errors. */
export function toGrpc(err: unknown): Error {
  if (err instanceof IpamError) return grpcError(CODES[err.kind], err.message);
  if (err instanceof RouterError) {
    if (err.fault === 'unavailable') return grpcError(status.UNAVAILABLE, `router unavailable: ${err.message}`);
    return grpcError(status.FAILED_PRECONDITION, `router refused: ${err.message}`);
  }
  return err instanceof Error ? err : new Error(String(err));
}

export function toProto(a: Allocation): kube.Allocation {
  return {
    owner: a.owner,
    network: a.network.name,
    address: intToIp(a.ip),
    prefix_length: a.network.prefix,
    gateway: intToIp(a.network.gateway),
    dns: a.network.dns,
    veth: a.veth,
    bridge: a.network.bridge,
  };
}

type Call<T> = ServerUnaryCall<T, unknown>;

export function ipamHandlers(allocator: Allocator, reconciler: Reconciler, metrics: IpamMetrics) {
  const guard = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toGrpc(err);
    }
  };
  return {
    Allocate: (call: Call<kube.AllocateRequest__Output>) => {
      const { owner, network } = call.request;
      const end = metrics.allocation.startTimer();
      return guard(() => allocator.allocate(owner, network)).then(
        (a) => {
          end({ network: a.network.name, outcome: 'OK' });
          return toProto(a);
        },
        (err: { code?: number }) => {
          end({ network: network || 'default', outcome: status[err.code ?? status.UNKNOWN] ?? 'UNKNOWN' });
          throw err;
        },
      );
    },
    Release: (call: Call<kube.ReleaseRequest__Output>) =>
      guard(async () => ({ released: await allocator.release(call.request.owner) })),
    Get: (call: Call<kube.GetAllocationRequest__Output>) => guard(async () => toProto(await allocator.get(call.request.owner))),
    List: (call: Call<kube.ListAllocationsRequest__Output>) =>
      guard(async () => {
        const { network } = call.request;
        if (network) allocator.network(network);
        // Other replicas allocate too: answer from the router's current state.
        await allocator.sync({ repair: false });
        return { allocations: allocator.allocations(network || undefined).map(toProto) };
      }),
    ListNetworks: () =>
      guard(async () => {
        await allocator.sync({ repair: false });
        return {
          networks: allocator.networks.map((n) => {
            const pool = allocator.pools.get(n.name);
            return {
              name: n.name,
              bridge: n.bridge,
              cidr: `${intToIp(n.base)}/${n.prefix}`,
              gateway: intToIp(n.gateway),
              dns: n.dns,
              default: n.isDefault,
              size: pool?.size ?? 0,
              used: pool?.used ?? 0,
              free: pool?.free ?? 0,
            };
          }),
        };
      }),
    Reconcile: (call: Call<kube.ReconcileRequest__Output>) =>
      guard(() => {
        const { live_owners, dry_run } = call.request;
        return reconciler.reconcile(live_owners, dry_run);
      }),
  };
}
