// Where contract tests run: a real router when ROUTEROS_URL/ROUTEROS_USER/ROUTEROS_PASSWORD
// are set, otherwise the simulator started as a real process on loopback.
import { startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Target {
  url: string;
  username: string;
  password: string;
  /** true on real hardware: tests touch only objects they created (prefix `mkt-test-`). */
  real: boolean;
  admin?: string;
  stop(): Promise<void>;
}

export function realRouter(): { url: string; username: string; password: string } | undefined {
  const { ROUTEROS_URL: url, ROUTEROS_USER: username, ROUTEROS_PASSWORD: password } = process.env;
  return url && username && password !== undefined ? { url, username, password } : undefined;
}

export async function startTarget(args: string[] = []): Promise<Target> {
  const real = realRouter();
  if (real) return { ...real, real: true, stop: async () => undefined };
  const proc: ProcessHandle = startTsProcess('libs/routeros-sim/src/cli.ts', {
    args: ['--rest-port', '0', '--data-dir', mkdtempSync(join(tmpdir(), 'rest-contract-')), '--user', 'tester', '--password', 'pa:ss w', '--extract-ms', '50', ...args],
  });
  const line = await proc.waitForLine(/routeros-sim ready/, 60_000);
  const url = /rest=(\S+)/.exec(line)?.[1] as string;
  const admin = /admin=(\S+)/.exec(line)?.[1];
  return { url, admin, username: 'tester', password: 'pa:ss w', real: false, stop: async () => void (await proc.stop()) };
}
