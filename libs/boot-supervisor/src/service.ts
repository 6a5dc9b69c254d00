// The Supervisor gRPC service (proto/mikrotik/kube/v1/supervisor.proto) over
// the engine. Input is validated before anything changes; a standby replica
// answers UNAVAILABLE so clients retry against the leader.
import type * as grpc from '@grpc/grpc-js';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { kube } from '@mikrotik-kube/proto';
import type { Supervisor } from './supervisor';
import { CycleError } from './toposort';
import { unitProblems } from './unit-spec';

type Unary<Req> = grpc.ServerUnaryCall<Req, unknown>;

export function supervisorService(sup: Supervisor) {
  const leading = () => {
    if (!sup.isActive) throw grpcError(status.UNAVAILABLE, 'this boot-supervisor replica is standing by; retry against the leader');
  };
  return {
    async Register(call: Unary<kube.RegisterRequest__Output>): Promise<kube.UnitStatus> {
      leading();
      const unit = call.request.unit;
      const problems = unitProblems(unit);
      if (problems.length || !unit) throw grpcError(status.INVALID_ARGUMENT, problems.join('; '));
      try {
        return sup.register(unit);
      } catch (err) {
        if (err instanceof CycleError) throw grpcError(status.FAILED_PRECONDITION, `${err.message} (unit ${unit.name} not registered)`);
        throw err;
      }
    },

    async Unregister(call: Unary<kube.UnregisterRequest__Output>): Promise<kube.UnregisterResponse> {
      leading();
      if (!call.request.name) throw grpcError(status.INVALID_ARGUMENT, 'name is required');
      return { removed: sup.unregister(call.request.name) };
    },

    async GetStatus(call: Unary<kube.GetStatusRequest__Output>): Promise<kube.UnitStatus> {
      leading();
      const u = sup.get(call.request.name);
      if (!u) throw grpcError(status.NOT_FOUND, `no unit named ${JSON.stringify(call.request.name)}`);
      return u.status();
    },

    async ListStatus(_call: Unary<kube.ListStatusRequest__Output>): Promise<kube.ListStatusResponse> {
      leading();
      return { units: sup.list().map((u) => u.status()) };
    },

    Watch(call: grpc.ServerWritableStream<kube.WatchRequest__Output, kube.UnitStatus>): void {
      if (!sup.isActive) {
        call.emit('error', grpcError(status.UNAVAILABLE, 'this boot-supervisor replica is standing by'));
        return;
      }
      // Snapshot and subscription happen in the same tick, so no change falls between them.
      for (const u of sup.list()) call.write(u.status());
      const unsubscribe = sup.watch((s) => call.write(s));
      const end = () => unsubscribe();
      call.on('cancelled', end);
      call.on('close', end);
      call.on('error', end);
    },
  };
}
