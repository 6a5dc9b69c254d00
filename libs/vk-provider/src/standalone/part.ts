// Standalone mode's wiring, hosted by apps/vk-provider (--standalone) or by the all-in-one
// process: the router client, the services over gRPC, the pod core, the pods file loop, the
// supervisor watch, and the status API and page on the ops port.
import { dirname, resolve } from 'node:path';
import { clientFromConfig } from '@mikrotik-kube/routeros-rest';
import type { Host, Running } from '@mikrotik-kube/service-kit';
import { grpcPodServices } from '../clients/grpc-services';
import type { VkConfig } from '../config';
import { podCore } from '../core/pod-core';
import { reportPods } from '../core/pod-status';
import { UnitEvents } from '../core/unit-events';
import { UnitWatch } from '../core/unit-watch';
import { RecentEvents } from '../status/recent-events';
import { RouterResources } from '../status/router-resources';
import { statusRoutes } from '../status/status-routes';
import { StandaloneController } from './controller';
import { PodFileSource } from './pod-file';

/** `configFile`: a relative pods file is relative to it, like any path in it (else to the working directory). */
export function startStandalone({ logger, metrics, shutdown }: Host, config: VkConfig, configFile?: string): Running {
  const router = clientFromConfig(config.routeros);
  shutdown.add('routeros client', () => router.close());
  const services = grpcPodServices(config.services, config.services.deadlineMs, config.grpc.tokenFile);
  shutdown.add('service clients', () => services.close());
  const r = config.reconcile;

  // No API server here: the events are kept for the status page.
  const events = new RecentEvents();
  const reconciler = podCore({ config, router, services, logger, metrics, units: () => units.units, events });
  const unitEvents = new UnitEvents(() => reconciler.records.values(), events);
  const configDir = configFile ? dirname(resolve(configFile)) : process.cwd();
  const source = new PodFileSource(resolve(configDir, config.podsFile), r.debounceMs, () => controller.trigger('pods file changed'));
  const controller = new StandaloneController({ source, reconciler, logger, resyncMs: r.resyncSeconds * 1000 });
  const units = new UnitWatch(services.supervisor, logger, {
    onChange: (s) => unitEvents.changed(s),
    // The supervisor may have restarted without a state file: register again.
    onConnect: () => {
      reconciler.forgetRegistrations();
      controller.trigger('supervisor connected');
    },
  });

  shutdown.add('supervisor watch', () => units.stop());
  shutdown.add('reconcile loop', () => controller.stop());
  units.start();
  controller.start();
  logger.info('standalone mode', { podsFile: source.state.path, router: config.routeros.url, services: config.services });
  return {
    ready: Promise.resolve(),
    routes: statusRoutes({
      title: 'standalone',
      pods: () => reportPods(reconciler.records.values(), units.units),
      podFile: () => source.state,
      events,
      router: new RouterResources(() => router.system.resource({ timeoutMs: 5000 })),
    }),
  };
}
