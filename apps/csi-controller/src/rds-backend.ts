// The controller's view of one RDS: a small pool of SSH connections (RdsClient), retries with
// backoff for transient SSH faults only, an audit log line for every mutating command and
// per-command Prometheus metrics (labelled by target: one controller may serve several).
import { RdsClient, RdsError, val, validateComment, type CloneVolumeRequest, type CreateVolumeRequest, type RdsClientOptions, type SnapshotSubvolumeRequest, type Volume } from '@mikrotik-kube/rds-ssh';
import { backoffMs, type Logger } from '@mikrotik-kube/service-kit';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface BackendOptions {
  client: Omit<RdsClientOptions, 'events'>;
  /** The target's name, in logs and metric labels. */
  target: string;
  logger: Logger;
  metrics: RdsMetrics;
  retryAttempts: number;
  retryBackoffMs: number;
}

/** The SSH metrics, registered once and shared by every target's backend. */
export function rdsMetrics(registry: Registry) {
  const registers = [registry];
  return {
    commands: new Counter({ name: 'mikrotik_kube_rds_commands_total', help: 'RouterOS commands sent over SSH, by target, verb and result.', labelNames: ['target', 'verb', 'result'], registers }),
    latency: new Histogram({
      name: 'mikrotik_kube_rds_command_duration_seconds',
      help: 'RouterOS command latency over SSH.',
      labelNames: ['target', 'verb'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    retries: new Counter({ name: 'mikrotik_kube_rds_retries_total', help: 'RDS operations retried after a transient SSH fault.', labelNames: ['target', 'operation'], registers }),
    connects: new Counter({ name: 'mikrotik_kube_rds_connects_total', help: 'SSH connections established (reconnect=true after a drop).', labelNames: ['target', 'reconnect'], registers }),
  };
}
export type RdsMetrics = ReturnType<typeof rdsMetrics>;

const MUTATING = /^\/\S+ (add|set|remove)\b/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RdsBackend {
  readonly client: RdsClient;
  private readonly logger: Logger;

  constructor(private readonly opts: BackendOptions) {
    const { target, metrics } = opts;
    const logger = (this.logger = opts.logger.child({ target }));
    this.client = new RdsClient({
      ...opts.client,
      events: {
        onConnect: (reconnect) => {
          metrics.connects.inc({ target, reconnect: String(reconnect) });
          logger.info('rds connected', { host: opts.client.host, reconnect });
        },
        onDisconnect: (reason) => logger.warn('rds disconnected', { host: opts.client.host, reason }),
        onCommand: (command, ms, error) => this.observe(command, ms, error),
      },
    });
  }

  private observe(command: string, ms: number, error?: RdsError): void {
    const verb = /^(\/\S+ \S+)/.exec(command)?.[1] ?? 'other';
    const { target, metrics } = this.opts;
    metrics.commands.inc({ target, verb, result: error ? error.kind : 'ok' });
    metrics.latency.observe({ target, verb }, ms / 1000);
    if (MUTATING.test(command)) {
      // Audit trail: every change made on the router, with outcome. Commands carry no secrets.
      this.logger.info('rds audit', { command, ms, ok: !error, ...(error ? { error: error.message, kind: error.kind } : {}) });
    }
  }

  /**
   * Runs `fn`, retrying transport faults (the command did not run, or the link dropped) and,
   * when `idempotent`, timeouts too. Every other error is final.
   */
  async withRetry<T>(operation: string, fn: () => Promise<T>, idempotent = true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const transient = e instanceof RdsError && (e.kind === 'transport' || (idempotent && e.kind === 'timeout'));
        if (!transient || attempt >= this.opts.retryAttempts) throw e;
        this.opts.metrics.retries.inc({ target: this.opts.target, operation });
        this.logger.warn('rds transient fault, retrying', { operation, attempt, error: (e as Error).message });
        await sleep(backoffMs(attempt, { initialMs: this.opts.retryBackoffMs, jitter: 0.2 }));
      }
    }
  }

  getVolume = (slot: string) => this.withRetry('get', () => this.client.getVolume(slot));
  listVolumes = (prefix: string) => this.withRetry('list', () => this.client.listVolumes(prefix));
  capacity = (base: string) => this.withRetry('capacity', () => this.client.capacity(base));
  // Creation steps are check-then-act in the callers, so a retry after a timeout is safe.
  createVolume = (req: CreateVolumeRequest) => this.withRetry('create', () => this.client.createVolume(req));
  cloneVolume = (req: CloneVolumeRequest) => this.withRetry('clone', () => this.client.cloneVolume(req));
  resizeVolume = (slot: string, bytes: number) => this.withRetry('resize', () => this.client.resizeVolume(slot, bytes));
  deleteVolume = (slot: string, filePath?: string) => this.withRetry('delete', () => this.client.deleteVolume(slot, filePath));
  removeFile = (path: string) => this.withRetry('remove-file', () => this.client.removeFile(path));
  attachVolume = (req: Omit<CreateVolumeRequest, 'sizeBytes'>) => this.withRetry('attach', () => this.client.attachVolume(req));
  removeDisk = (slot: string) => this.withRetry('remove-disk', () => this.client.removeDisk(slot));
  getSubvolume = (name: string) => this.withRetry('get-subvolume', () => this.client.getSubvolume(name));
  createSubvolume = (fs: string, name: string) => this.withRetry('create-subvolume', () => this.client.createSubvolume(fs, name));
  snapshotSubvolume = (req: SnapshotSubvolumeRequest) => this.withRetry('snapshot-subvolume', () => this.client.snapshotSubvolume(req));
  deleteSubvolume = (name: string) => this.withRetry('delete-subvolume', () => this.client.deleteSubvolume(name));

  /** Replaces a disk's comment (the controller's metadata). */
  setComment(slot: string, comment: string): Promise<Volume | undefined> {
    return this.withRetry('set-comment', async () => {
      await this.client.run({ menu: '/disk', verb: 'set', target: val.find('slot', slot), args: [['comment', val.str(validateComment(comment))]] });
      return this.client.getVolume(slot);
    });
  }

  /**
   * Whether the RDS answers. A failure is logged when its cause changes (not on every
   * readiness poll): a wrong host-key pin or password otherwise shows only as a 503.
   */
  async probe(): Promise<boolean> {
    if (this.client.connection.connected) return true;
    try {
      await this.client.run({ menu: '/system/resource', verb: 'print' }, 5000);
    } catch (e) {
      const error = (e as Error).message;
      if (error !== this.probeError) this.logger.error('rds unreachable', { host: this.opts.client.host, error, ...(e instanceof RdsError ? { kind: e.kind } : {}) });
      this.probeError = error;
      throw e;
    }
    if (this.probeError !== undefined) this.logger.info('rds reachable again', { host: this.opts.client.host });
    this.probeError = undefined;
    return true;
  }

  private probeError: string | undefined;

  close(): void {
    this.client.close();
  }
}
