// The API server connection: a kubeconfig file, or client-node's default
// search ($KUBECONFIG, ~/.kube/config, in-cluster service account).
import { ApiException, CoordinationV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';

export interface KubeClients {
  config: KubeConfig;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
}

export function kubeClients(kubeconfig: string): KubeClients {
  const config = new KubeConfig();
  if (kubeconfig) config.loadFromFile(kubeconfig);
  else config.loadFromDefault();
  return { config, core: config.makeApiClient(CoreV1Api), coordination: config.makeApiClient(CoordinationV1Api) };
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}
