// Graceful shutdown on SIGTERM/SIGINT: run the registered steps (last
// registered first: stop accepting, then drain, then close clients) and exit 0;
// exit 1 if they do not finish within the bound.
import type { Logger } from './logger';

export type ShutdownStep = { name: string; run: () => Promise<void> | void };

export class Shutdown {
  private readonly steps: ShutdownStep[] = [];
  private running?: Promise<void>;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Steps run in reverse order of registration. */
  add(name: string, run: ShutdownStep['run']): void {
    this.steps.push({ name, run });
  }

  get stopping(): boolean {
    return this.running !== undefined;
  }

  /** Runs every step once; later calls return the same promise. */
  run(reason: string): Promise<void> {
    this.running ??= (async () => {
      this.logger.info('shutting down', { reason });
      for (const step of [...this.steps].reverse()) {
        try {
          await step.run();
        } catch (err) {
          this.logger.error('shutdown step failed', { step: step.name, error: (err as Error).message });
        }
      }
    })();
    return this.running;
  }

  /** Installs SIGTERM/SIGINT handlers that exit the process. */
  installSignalHandlers(exit: (code: number) => void = (code) => process.exit(code)): void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.running) return;
      const timer = setTimeout(() => {
        this.logger.error('shutdown timed out', { timeoutMs: this.timeoutMs });
        exit(1);
      }, this.timeoutMs);
      timer.unref();
      void this.run(signal).then(() => {
        clearTimeout(timer);
        this.logger.info('stopped');
        exit(0);
      });
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }
}
