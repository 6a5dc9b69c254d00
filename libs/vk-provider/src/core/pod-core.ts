// The pod core both modes drive: the lifecycle of one pod on the router and the reconciler over
// all of them, configured from vk-provider's config.
import type { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { Registry } from 'prom-client';
import type { VkConfig } from '../config';
import { reconcileMetrics } from './metrics';
import { PodLifecycle } from './pod-lifecycle';
import { Reconciler } from './reconciler';
import type { PodEvents, PodServices, UnitStatus } from './services';

export interface PodCoreOptions {
  config: VkConfig;
  router: RouterOsClient;
  services: PodServices;
  logger: Logger;
  metrics: Registry;
  /** The supervisor's unit statuses, for the metrics. */
  units: () => ReadonlyMap<string, UnitStatus>;
  events?: PodEvents;
}

export function podCore({ config, router, services, logger, metrics, units, events }: PodCoreOptions): Reconciler {
  const r = config.reconcile;
  const lifecycle = new PodLifecycle({
    router,
    services,
    rootDirBase: config.containers.rootDir,
    architecture: config.containers.architecture,
    logger,
    stopTimeoutMs: r.stopTimeoutSeconds * 1000,
    extractTimeoutMs: r.extractTimeoutSeconds * 1000,
    events,
    bootPolicy: config.bootPolicy,
  });
  const reconciler: Reconciler = new Reconciler({
    router,
    services,
    lifecycle,
    logger,
    concurrency: r.concurrency,
    metrics: reconcileMetrics(metrics, () => reconciler.records.values(), units),
  });
  return reconciler;
}
