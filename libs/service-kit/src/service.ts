// Wires what every service has: config, JSON logger, metrics registry, the
// operational HTTP port and graceful shutdown. main.ts files call this, then
// add their own servers and clients.
import type { Registry } from 'prom-client';
import { ConfigError, type JsonSchema, loadConfig } from './config';
import { startOpsServer, type OpsServer, type Readiness, type RouteHandler } from './http-server';
import { createLogger, LOG_LEVELS, type Logger } from './logger';
import { createMetricsRegistry } from './metrics';
import { Shutdown } from './shutdown';

/** What createService reads: logs, the ops port and the shutdown bound. */
export interface OpsConfig {
  log: { level: string };
  http: { host: string; port: number };
  shutdownTimeoutSeconds: number;
}

/** Config every service shares; service schemas extend it with serviceSchema(). */
export interface BaseConfig extends OpsConfig {
  /** tokenFile: the bearer token our services share (a mounted Secret); empty = no authentication. */
  grpc: { host: string; port: number; maxMessageBytes: number; tokenFile: string };
}

const baseProperties: Record<string, JsonSchema> = {
  log: {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: { level: { type: 'string', enum: [...LOG_LEVELS], default: 'info' } },
  },
  http: {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      host: { type: 'string', default: '0.0.0.0' },
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 8080 },
    },
  },
  grpc: {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      host: { type: 'string', default: '0.0.0.0' },
      port: { type: 'integer', minimum: 0, maximum: 65535, default: 9090 },
      maxMessageBytes: { type: 'integer', minimum: 1024, default: 4 * 1024 * 1024 },
      tokenFile: { type: 'string', default: '' },
    },
  },
  shutdownTimeoutSeconds: { type: 'number', exclusiveMinimum: 0, default: 20 },
};

/** A strict object schema with the base properties plus the service's own (which may replace a base one). */
export function serviceSchema(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return { type: 'object', additionalProperties: false, properties: { ...baseProperties, ...properties }, required };
}

/** The base `grpc` section's schema, for a process that narrows it. */
export const grpcSchema: JsonSchema = baseProperties['grpc'] as JsonSchema;

export interface ServiceOptions {
  name: string;
  schema: JsonSchema;
  envPrefix: string;
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  extraFlags?: Record<string, 'boolean' | 'string'>;
  /** See LoadConfigOptions.flagAliases. */
  flagAliases?: Record<string, string>;
}

export interface Service<C extends OpsConfig> {
  name: string;
  config: C;
  extras: Record<string, string | boolean>;
  /** The config file given (--config or <PREFIX>CONFIG), if any. */
  configFile?: string;
  logger: Logger;
  metrics: Registry;
  shutdown: Shutdown;
  /** Starts the ops HTTP server; readiness is false until markReady(). */
  startOps(opts?: { readiness?: () => Readiness | Promise<Readiness>; routes?: RouteHandler }): Promise<OpsServer>;
  markReady(): void;
  readonly ready: boolean;
}

/** Runs `build`; a ConfigError it throws is printed and the process exits 2 (before anything started). */
export function configOrExit<T>(name: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${name}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * Loads config (exits 2 with a clear message on a config error), creates the
 * logger and metrics and installs signal handlers.
 */
export function createService<C extends OpsConfig>(opts: ServiceOptions): Service<C> {
  const loaded = configOrExit(opts.name, () =>
    loadConfig<C>({
      schema: opts.schema,
      argv: opts.argv ?? process.argv.slice(2),
      env: opts.env ?? process.env,
      envPrefix: opts.envPrefix,
      ...(opts.extraFlags ? { extraFlags: opts.extraFlags } : {}),
      ...(opts.flagAliases ? { flagAliases: opts.flagAliases } : {}),
    }),
  );
  const { config, extras, configFile } = loaded;
  const logger = createLogger(opts.name, config.log.level);
  const metrics = createMetricsRegistry(opts.name);
  const shutdown = new Shutdown(logger, config.shutdownTimeoutSeconds * 1000);
  shutdown.installSignalHandlers();
  let ready = false;
  return {
    name: opts.name,
    config,
    extras,
    ...(configFile ? { configFile } : {}),
    logger,
    metrics,
    shutdown,
    get ready() {
      return ready;
    },
    markReady() {
      ready = true;
      logger.info('ready');
    },
    async startOps(o = {}) {
      const ops = await startOpsServer({
        host: config.http.host,
        port: config.http.port,
        registry: metrics,
        readiness: async () => {
          if (shutdown.stopping) return { ok: false, detail: 'shutting down' };
          if (!ready) return { ok: false, detail: 'starting' };
          return o.readiness ? o.readiness() : { ok: true };
        },
        ...(o.routes ? { routes: o.routes } : {}),
      });
      shutdown.add('ops http server', () => ops.close());
      logger.info('ops server listening', { url: ops.url });
      return ops;
    },
  };
}
