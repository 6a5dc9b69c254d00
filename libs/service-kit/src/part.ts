// A service's wiring as a part that a process hosts: the service's own main (microservices
// mode: one part, its own ops port) or the all-in-one process, which hosts several parts on one
// logger, metrics registry, ops port and shutdown — the monolithic `-target=all` mode of Grafana
// Mimir and Loki beside their microservices. The same part code runs in both.
import type { Registry } from 'prom-client';
import type { Readiness, RouteHandler } from './http-server';
import type { Logger } from './logger';
import type { OpsConfig, Service } from './service';
import type { Shutdown } from './shutdown';

/** What a part gets from the process hosting it. */
export interface Host {
  logger: Logger;
  metrics: Registry;
  shutdown: Shutdown;
}

/** A started part. */
export interface Running {
  /** Resolves once the part does its work (e.g. after its first sync with the router). */
  ready: Promise<void>;
  /** Readiness once ready (e.g. false while a standby replica). */
  readiness?: () => Readiness | Promise<Readiness>;
  /** Extra routes on the ops port (vk-provider's status API). */
  routes?: RouteHandler;
}

export interface ServeOptions {
  /** Opens the service's other listeners (its gRPC port), after the ops port. */
  listen?: () => Promise<void>;
  /** Called once the part is ready, before /readyz says so. */
  onReady?: () => void;
}

/** Microservices mode: the ops port serves the part's readiness and routes; /readyz turns ready with the part. */
export async function servePart(svc: Service<OpsConfig>, running: Running, o: ServeOptions = {}): Promise<void> {
  await svc.startOps({ ...(running.readiness ? { readiness: running.readiness } : {}), ...(running.routes ? { routes: running.routes } : {}) });
  await o.listen?.();
  await running.ready;
  if (svc.shutdown.stopping) return;
  o.onReady?.();
  svc.markReady();
}
