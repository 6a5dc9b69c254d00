// What `make demo` starts, in order. A component whose entry point does not
// exist yet in this checkout is skipped with a message.
export interface DemoContext {
  dataDir: string;
  /** Ports chosen for this run: "<component>.<name>" → port. */
  ports: Record<string, number>;
  /** URLs published by started components for later ones. */
  urls: Record<string, string>;
}

export interface DemoComponent {
  name: string;
  /** TypeScript entry point relative to the repo root. */
  entry: string;
  /** Names of ports to reserve before start. */
  ports: string[];
  args(ctx: DemoContext): string[];
  env?(ctx: DemoContext): Record<string, string>;
  /** A line of output that means "ready". */
  ready: RegExp;
  onReady?(ctx: DemoContext): void;
  describe?(ctx: DemoContext): string;
}

export const demoComponents: DemoComponent[] = [];
