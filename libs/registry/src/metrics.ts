// The registry's Prometheus metrics, registered on the service's registry.
import { Counter, type Registry } from 'prom-client';
import type { RegistryMetrics } from './http/deps';

export function createRegistryMetrics(registry: Registry): RegistryMetrics {
  const r = [registry];
  return {
    requests: new Counter({
      name: 'mikrotik_kube_registry_http_requests_total',
      help: 'Registry API requests by route, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: r,
    }),
    bytesIn: new Counter({ name: 'mikrotik_kube_registry_bytes_received_total', help: 'Blob and manifest bytes received', registers: r }),
    bytesOut: new Counter({ name: 'mikrotik_kube_registry_bytes_sent_total', help: 'Blob and manifest bytes sent', registers: r }),
    cache: new Counter({
      name: 'mikrotik_kube_registry_cache_requests_total',
      help: 'Pull-through cache lookups by kind (blob, manifest) and result (hit, miss)',
      labelNames: ['kind', 'result'],
      registers: r,
    }),
    upstreamErrors: new Counter({
      name: 'mikrotik_kube_registry_upstream_errors_total',
      help: 'Failed calls to upstream registries',
      labelNames: ['upstream'],
      registers: r,
    }),
  };
}
