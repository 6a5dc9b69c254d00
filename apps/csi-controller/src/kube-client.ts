// Where csi-controller's Kubernetes client comes from: an explicit kubeconfig file, else the
// pod's service account when running in a cluster, else none (static nodes, reconcilers off).
import { existsSync } from 'node:fs';
import { CoordinationV1Api, CoreV1Api, KubeConfig, StorageV1Api } from '@kubernetes/client-node';

/** Where the kubelet mounts the service-account token in every pod. */
export const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

export type KubeSource = { kind: 'kubeconfig'; path: string } | { kind: 'in-cluster' } | { kind: 'none' };

export function kubeSource(kubeconfig: string | undefined, env: NodeJS.ProcessEnv = process.env, tokenFile = SERVICE_ACCOUNT_TOKEN): KubeSource {
  if (kubeconfig) return { kind: 'kubeconfig', path: kubeconfig };
  if (env['KUBERNETES_SERVICE_HOST'] && existsSync(tokenFile)) return { kind: 'in-cluster' };
  return { kind: 'none' };
}

export interface KubeClients {
  core: CoreV1Api;
  storage: StorageV1Api;
  coordination: CoordinationV1Api;
}

export function kubeClients(source: KubeSource): KubeClients | undefined {
  if (source.kind === 'none') return undefined;
  const kc = new KubeConfig();
  if (source.kind === 'kubeconfig') kc.loadFromFile(source.path);
  else kc.loadFromCluster();
  return { core: kc.makeApiClient(CoreV1Api), storage: kc.makeApiClient(StorageV1Api), coordination: kc.makeApiClient(CoordinationV1Api) };
}
