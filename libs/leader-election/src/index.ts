// Leader election on a coordination.k8s.io/v1 Lease with client-go semantics.
export { LeaderElector, leaderIdentity } from './leader';
export type { LeaderElectionMetrics, LeaderElectionOptions } from './leader';
