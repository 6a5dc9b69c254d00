// The Lease that vk-provider replicas serving one node elect their leader on
// (the election itself is @mikrotik-kube/leader-election).

/** One Lease per node, in the provider's namespace: replicas of different nodes never compete. */
export function leaderLeaseName(nodeName: string): string {
  return `mikrotik-kube-vk-${nodeName}`;
}
