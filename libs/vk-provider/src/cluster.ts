// vk-provider's cluster mode (Virtual Kubelet node): its modules, apart from index.ts so that only
// cluster mode loads the Kubernetes client.
export { startClusterNode } from './cluster/cluster-node';
export type { ClusterNode } from './cluster/cluster-node';
export { resolvePodEnv } from './cluster/env-sources';
export { resolveVolumeFiles } from './core/volume-files';
export { EventRecorder } from './cluster/events';
export { kubeClients, kubeEnvLookups } from './cluster/kube';
export { prepareKubelet } from './cluster/kubelet';
export type { Kubelet } from './cluster/kubelet';
export { leaderLeaseName } from './cluster/leader-lease';
export { nodeLabels, PROVIDER_TAINT, routerAddress } from './cluster/node-shape';
export { ClusterPods } from './cluster/pod-controller';
export { PodInformer } from './cluster/pod-informer';
export { requestServingCertificate } from './cluster/serving-cert';
export { ServingCsrStatus } from './cluster/serving-csr-status';
export { kubeletSources } from './cluster/pod-logs';
