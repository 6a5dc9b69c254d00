// A live copy of the boot-supervisor's unit statuses (its Watch stream), kept
// across supervisor restarts: on reconnect the stream replays every unit, and
// the caller is told so it can register its units again.
import type { Logger } from '@mikrotik-kube/service-kit';
import type { SupervisorService, UnitStatus } from './services';

export class UnitWatch {
  readonly units = new Map<string, UnitStatus>();
  private cancel: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private connected = false;

  constructor(
    private readonly supervisor: SupervisorService,
    private readonly logger: Logger,
    private readonly hooks: { onChange?: (s: UnitStatus) => void; onConnect?: () => void } = {},
    private readonly retryMs = 1000,
  ) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.cancel?.();
  }

  private connect(): void {
    this.connected = false;
    this.cancel = this.supervisor.watch(
      (s) => {
        if (!this.connected) {
          this.connected = true;
          this.units.clear();
          this.hooks.onConnect?.();
        }
        this.units.set(s.name, s);
        this.hooks.onChange?.(s);
      },
      (err) => {
        if (this.stopped) return;
        this.logger.warn('supervisor watch ended; reconnecting', { error: err?.message });
        this.timer = setTimeout(() => this.connect(), this.retryMs);
      },
    );
  }
}
