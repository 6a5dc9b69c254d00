// The API server connection: a kubeconfig file, or client-node's default
// search ($KUBECONFIG, ~/.kube/config, in-cluster service account).
import { ApiException, CoordinationV1Api, CoreV1Api, KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { Allocation } from '../core/services';
import type { EnvLookups } from './env-sources';

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

/** The HTTP status of an API server error, or undefined for anything else. */
export function apiCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export function isNotFound(err: unknown): boolean {
  return apiCode(err) === 404;
}

/** ConfigMaps and Secrets read from the API server for pod env; the pod address from ipam. */
export function kubeEnvLookups(core: CoreV1Api, hostIP: string | undefined, allocate: (pod: V1Pod) => Promise<Allocation>): EnvLookups {
  const missingAsUndefined = async <T>(read: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await read();
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  return {
    hostIP,
    configMap: async (namespace, name) => {
      const cm = await missingAsUndefined(() => core.readNamespacedConfigMap({ namespace, name }));
      return cm && { ...cm.data };
    },
    secret: async (namespace, name) => {
      const s = await missingAsUndefined(() => core.readNamespacedSecret({ namespace, name }));
      return s && Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    },
    podIP: async (pod) => (await allocate(pod)).address,
  };
}
