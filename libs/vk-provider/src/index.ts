// The vk-provider service's modules; apps/vk-provider wires them into its process (and the all-in-one
// process hosts the standalone part). Cluster mode's modules are '@mikrotik-kube/vk-provider/cluster' (cluster.ts),
// apart so that standalone never loads the Kubernetes client (≈ 75 MB of memory).
export { grpcPodServices } from './clients/grpc-services';
export { vkSchema } from './config';
export type { BootPolicy, VkConfig } from './config';
export { podCore } from './core/pod-core';
export type { PodCoreOptions } from './core/pod-core';
export { reportPods } from './core/pod-status';
export { observePods, removeContainer } from './core/router-objects';
export { formatTag } from './core/tags';
export { UnitWatch } from './core/unit-watch';
export { startStandalone } from './standalone/part';
export { bootGraph, podHealth } from './status/boot-graph';
export type { BootGraph, GraphNode, UnitHealth } from './status/boot-graph';
export { RecentEvents } from './status/recent-events';
export { RouterResources } from './status/router-resources';
export { statusRoutes } from './status/status-routes';
export { parsePodFile } from './standalone/pod-file';
export { renderStatus } from './standalone/status-table';
