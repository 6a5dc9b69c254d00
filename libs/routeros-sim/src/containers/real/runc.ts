// runc (Debian's package) as the container runtime: `runc run` in the foreground per
// container, so its exit status is the container's, and stdout/stderr are the container's
// own pipes. runc's own messages go to a JSON log file, which tells a failed start from a
// process that exited. Every call is bounded.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ociConfig, type LaunchSpec } from './oci-spec';

const CALL_TIMEOUT_MS = 15_000;

export function runcCall(root: string, args: string[], timeoutMs = CALL_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('runc', ['--root', root, ...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`runc ${args[0]}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

export interface RuncProcess {
  readonly id: string;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Resolves with the exit status (128+N when killed by signal N), or a start failure. */
  readonly done: Promise<{ status: number; startError?: string }>;
}

/** The last error runc logged (`{"level":"error","msg":…}`), if any. */
function runcError(logFile: string): string | undefined {
  let last: string | undefined;
  try {
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const e = JSON.parse(line) as { level?: string; msg?: string };
        if (e.level === 'error' || e.level === 'fatal') last = e.msg;
      } catch {
        // a partial line
      }
    }
  } catch {
    // no log: runc never got that far
  }
  return last?.replace(/^runc (run|create) failed: /, '');
}

export class Runc {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  /** Writes the bundle's config.json and starts `runc run`. */
  run(id: string, bundleDir: string, spec: LaunchSpec): RuncProcess {
    mkdirSync(bundleDir, { recursive: true });
    writeFileSync(join(bundleDir, 'config.json'), JSON.stringify(ociConfig(spec)));
    const logFile = join(bundleDir, 'runc.log');
    writeFileSync(logFile, '');
    const child: ChildProcess = spawn('runc', ['--root', this.root, '--log', logFile, '--log-format', 'json', 'run', '--bundle', bundleDir, id], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const done = new Promise<{ status: number; startError?: string }>((resolve) => {
      child.on('error', (e) => resolve({ status: 255, startError: e.message }));
      child.on('close', (code, signal) => {
        const status = code ?? 128 + (signal ? 15 : 0);
        const startError = status !== 0 ? runcError(logFile) : undefined;
        resolve({ status, ...(startError ? { startError } : {}) });
      });
    });
    return { id, stdout: child.stdout as Readable, stderr: child.stderr as Readable, done };
  }

  /** Sends a signal to the container's init; a container that is already gone is not an error. */
  async kill(id: string, signal: string | number): Promise<void> {
    await runcCall(this.root, ['kill', id, String(signal)]).catch(() => undefined);
  }

  async list(): Promise<string[]> {
    const out = await runcCall(this.root, ['list', '-q']).catch(() => '');
    return out.split('\n').filter(Boolean);
  }

  /** Kills whatever is left of the container and deletes runc's record of it. */
  async delete(id: string): Promise<void> {
    await runcCall(this.root, ['delete', '--force', id]).catch(() => undefined);
  }
}
