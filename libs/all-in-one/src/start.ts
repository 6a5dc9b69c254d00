// The all-in-one process: every platform service's part (the same code their own mains run)
// in one process — registry (optional), ipam, storage-converter, boot-supervisor and vk-provider
// in standalone mode — on one logger, metrics registry, ops port and shutdown. vk-provider
// reaches the other three through one gRPC server on a private unix socket, exactly as in
// microservices mode (deadlines, retries, error codes, the supervisor's Watch stream), the way
// Mimir's monolithic mode still talks gRPC to its own modules.
import { chmodSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { startSupervisor } from '@mikrotik-kube/boot-supervisor';
import { GrpcServer } from '@mikrotik-kube/grpc-kit';
import { ipamPart } from '@mikrotik-kube/ipam';
import { type RegistryConfig, registryPart } from '@mikrotik-kube/registry';
import { ConfigError, type ConfigIssue, configOrExit, type Host, type Readiness, type RouteHandler, type Running, type Service } from '@mikrotik-kube/service-kit';
import { storagePart } from '@mikrotik-kube/storage-converter';
import { startStandalone } from '@mikrotik-kube/vk-provider';
import type { AllInOneConfig } from './config';
import { deriveConfigs, inAllInOneTerms } from './derive';

/** Every check of every part, before anything starts (bad config changes nothing); ConfigErrors name all-in-one keys. */
export function prepareAllInOne(config: AllInOneConfig, configDir: string, source: string) {
  const issues: ConfigIssue[] = [];
  const check = <T>(build: () => T): T | undefined => {
    try {
      return build();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...inAllInOneTerms(err, source).issues);
      return undefined;
    }
  };
  const cfg = check(() => deriveConfigs(config, configDir, source));
  if (!cfg) throw new ConfigError(issues);
  // Every part's own checks, all reported at once.
  const ipam = check(() => ipamPart(cfg.ipam));
  const storage = check(() => storagePart(cfg.storage));
  const registry = cfg.registry && check(() => registryPart(cfg.registry as RegistryConfig));
  if (issues.length || !ipam || !storage) throw new ConfigError(issues);
  return { cfg, parts: { ipam, storage, registry } };
}

export async function startAllInOne(svc: Service<AllInOneConfig>): Promise<void> {
  const { config, logger, metrics, shutdown } = svc;
  const source = svc.configFile ? `file ${svc.configFile}` : 'config';
  const { cfg, parts } = configOrExit(svc.name, () => prepareAllInOne(config, svc.configFile ? dirname(svc.configFile) : process.cwd(), source));
  const host = (component: string): Host => ({ logger: logger.child({ component }), metrics, shutdown });

  const running: Array<[string, Running]> = [];
  // vk-provider's status API, once it runs.
  let routes: RouteHandler = () => false;
  const readiness = async (): Promise<Readiness> => {
    for (const [name, r] of running) {
      const s = r.readiness ? await r.readiness() : { ok: true };
      if (!s.ok) return { ok: false, detail: `${name}: ${s.detail ?? 'not ready'}` };
    }
    return { ok: true };
  };
  await svc.startOps({ readiness, routes: (req, res) => routes(req, res) });

  if (parts.registry) running.push(['registry', await parts.registry.start(host('registry'))]);

  // The socket's directory is ours alone: no token needed, nothing else on the host can call.
  mkdirSync(dirname(cfg.socketPath), { recursive: true, mode: 0o700 });
  chmodSync(dirname(cfg.socketPath), 0o700);
  rmSync(cfg.socketPath, { force: true }); // left by a process that was killed
  const grpc = new GrpcServer({ logger: logger.child({ component: 'grpc' }), metrics, maxMessageBytes: config.grpc.maxMessageBytes });
  running.push(['ipam', parts.ipam.start(host('ipam'), grpc)]);
  running.push(['storage-converter', await parts.storage.start(host('storage-converter'), grpc)]);
  running.push(['boot-supervisor', startSupervisor(host('boot-supervisor'), grpc, cfg.supervisor)]);
  await grpc.listen(`unix://${cfg.socketPath}`);
  shutdown.add('grpc server', () => grpc.shutdown(config.shutdownTimeoutSeconds * 500));

  const vk = startStandalone(host('vk-provider'), cfg.vk);
  if (vk.routes) routes = vk.routes;
  running.push(['vk-provider', vk]);

  await Promise.all(running.map(([, r]) => r.ready));
  if (shutdown.stopping) return;
  logger.info('all-in-one', { services: running.map(([name]) => name), router: cfg.vk.routeros.url, podsFile: cfg.vk.podsFile, socket: cfg.socketPath });
  svc.markReady();
}
