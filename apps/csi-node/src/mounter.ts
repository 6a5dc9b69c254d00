// mount(8)/umount(8) with argument vectors, checked against mountinfo so repeats are no-ops
// and binds never pile up on a target.
import { type Runner, run as defaultRun, CommandError } from './exec';
import { type MountEntry, type MountTable } from './mountinfo';

// Options that would change what gets mounted where; mount flags from a request may not carry them.
const FORBIDDEN = new Set(['bind', 'rbind', 'remount', 'move', 'rec', 'make-shared', 'make-private', 'make-slave', 'make-rshared', 'make-rprivate', 'make-rslave', 'x-mount.mkdir']);
const FLAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_=.:@+/-]{0,127}$/;

/** Returns a problem with a request's mount flags, or undefined when they are acceptable. */
export function mountFlagProblem(flags: string[]): string | undefined {
  for (const f of flags) {
    for (const part of f.split(',')) {
      if (!FLAG_RE.test(part)) return `mount flag ${JSON.stringify(part)} has characters outside [A-Za-z0-9_=.:@+/-]`;
      if (FORBIDDEN.has(part.split('=')[0] ?? '')) return `mount flag ${part} is not allowed`;
    }
  }
  return undefined;
}

export class Mounter {
  private readonly run: Runner;

  constructor(
    readonly table: MountTable,
    private readonly timeoutMs: number,
    run?: Runner,
  ) {
    this.run = run ?? defaultRun;
  }

  at(target: string): Promise<MountEntry | undefined> {
    return this.table.at(target);
  }

  async mount(device: string, target: string, fsType: string, options: string[]): Promise<void> {
    const args = ['-t', fsType];
    if (options.length) args.push('-o', options.join(','));
    await this.run('mount', [...args, '--', device, target], { timeoutMs: this.timeoutMs });
  }

  /** Bind-mounts source onto target; read-only binds are remounted ro explicitly (a bind ignores `ro` on old kernels). */
  async bind(source: string, target: string, readonly: boolean, options: string[] = []): Promise<void> {
    await this.run('mount', ['--bind', '--', source, target], { timeoutMs: this.timeoutMs });
    if (readonly || options.length) {
      const opts = ['remount', 'bind', ...(readonly ? ['ro'] : []), ...options];
      try {
        await this.run('mount', ['-o', opts.join(','), '--', target], { timeoutMs: this.timeoutMs });
      } catch (e) {
        await this.unmount(target).catch(() => undefined);
        throw e;
      }
    }
  }

  /** Unmounts every mount stacked on target; a target that is not mounted is fine. */
  async unmount(target: string): Promise<void> {
    for (let i = 0; i < 16 && (await this.table.at(target)); i++) {
      try {
        await this.run('umount', ['--', target], { timeoutMs: this.timeoutMs });
      } catch (e) {
        if (e instanceof CommandError && /not mounted/.test(e.result.stderr)) return;
        throw e;
      }
    }
  }
}
