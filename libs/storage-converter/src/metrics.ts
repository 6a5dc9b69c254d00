// storage-converter metrics beyond the gRPC ones grpc-kit records: conversions and
// deliveries with their outcome, GC removals, and the cache's size read at scrape time.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { ImageCache } from './image-cache';

export interface StorageMetrics {
  conversions: Histogram<'outcome'>;
  deliveries: Counter<'mode' | 'outcome'>;
  gcRemoved: Counter<'dry_run'>;
}

export function registerStorageMetrics(registry: Registry, cache: ImageCache): StorageMetrics {
  const registers = [registry];
  new Gauge({ name: 'mikrotik_kube_storage_converter_cache_bytes', help: 'Bytes of converted tarballs in the local cache.', registers, collect() { this.set(cache.totalBytes()); } });
  new Gauge({ name: 'mikrotik_kube_storage_converter_cache_images', help: 'Converted tarballs in the local cache.', registers, collect() { this.set(cache.list().length); } });
  return {
    conversions: new Histogram({ name: 'mikrotik_kube_storage_converter_conversion_seconds', help: 'Pull and conversion time per image.', labelNames: ['outcome'], buckets: [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600], registers }),
    deliveries: new Counter({ name: 'mikrotik_kube_storage_converter_deliveries_total', help: 'Tarball deliveries to the router.', labelNames: ['mode', 'outcome'], registers }),
    gcRemoved: new Counter({ name: 'mikrotik_kube_storage_converter_gc_removed_total', help: 'Tarballs removed (or reported by dry runs) by GC.', labelNames: ['dry_run'], registers }),
  };
}
