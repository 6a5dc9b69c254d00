// Every host tool (nvme, mount, blkid, mkfs, …) runs through here: execFile with an argument
// vector (never a shell) and a timeout, so no volume name or path is ever interpreted.
import { execFile } from 'node:child_process';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
    readonly timedOut = false,
  ) {
    const why = timedOut ? 'timed out' : `exited ${result.code}`;
    super(`${command} ${why}: ${(result.stderr || result.stdout).trim().slice(0, 500)}`);
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  timeoutMs: number;
  /** Exit codes that are answers, not failures (e.g. blkid's 2 = nothing found). */
  okCodes?: number[];
}

export type Runner = (cmd: string, args: string[], opts: RunOptions) => Promise<CommandResult>;

/** Runs a command; rejects with CommandError on a timeout or an exit code not in okCodes (default [0]). */
export const run: Runner = (cmd, args, opts) =>
  new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 8 * 1024 * 1024, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
        const code = e ? (typeof e.code === 'number' ? e.code : -1) : 0;
        const result = { code, stdout, stderr: stderr || (e && typeof e.code === 'string' ? e.message : '') };
        const label = `${cmd} ${args[0] ?? ''}`.trim();
        if (e?.killed) return reject(new CommandError(label, result, true));
        if (!(opts.okCodes ?? [0]).includes(code)) return reject(new CommandError(label, result));
        resolve(result);
      },
    );
  });
