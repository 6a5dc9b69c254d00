// Which node ids ControllerPublish accepts: Kubernetes Node objects when a kubeconfig is set,
// else a configured list (empty = any node).
import type { CoreV1Api } from '@kubernetes/client-node';

export interface NodeRegistry {
  exists(nodeId: string): Promise<boolean>;
}

export function staticNodes(nodes: string[]): NodeRegistry {
  const set = new Set(nodes);
  return { exists: async (id) => set.size === 0 || set.has(id) };
}

export function kubeNodes(core: CoreV1Api): NodeRegistry {
  return {
    async exists(id) {
      try {
        await core.readNode({ name: id });
        return true;
      } catch (e) {
        if ((e as { code?: number }).code === 404) return false;
        throw e;
      }
    },
  };
}
