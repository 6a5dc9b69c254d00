// Network namespaces for tests: everything a test starts inside one reaches only what the test
// put there (loopback, its own bridges), never the machine's network: there is no route out.
// `ip netns exec` also bind-mounts /etc/netns/<name>/{hosts,resolv.conf} over /etc, which is
// how a test names its services without any DNS server.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const NETNS_ETC = '/etc/netns';
/** Every namespace a test makes is named mk-<purpose>-<pid of the test process>. */
const OURS = /^mk-([a-z0-9]+)-(\d+)$/;

/** Skip reason when network namespaces cannot be made here (not root, no `ip`). */
export function requireNetns(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, mounts): run the tests as root';
  const ip = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (ip.error || ip.status !== 0) return 'needs `ip` from iproute2 (Debian package iproute2)';
  return undefined;
}

function ip(args: string[], allowFail = false): SpawnSyncReturns<string> {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 30_000 });
  if (!allowFail && (r.error || r.status !== 0)) throw new Error(`ip ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  return r;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of the processes running inside a namespace. */
export function netnsPids(name: string): number[] {
  return ip(['netns', 'pids', name], true)
    .stdout.split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Kills whatever still runs in the namespace, then removes it and its /etc/netns files. */
export function removeNetns(name: string): void {
  for (let i = 0; i < 50; i++) {
    const pids = netnsPids(name);
    if (!pids.length) break;
    for (const p of pids) {
      try {
        process.kill(p, i < 20 ? 'SIGTERM' : 'SIGKILL');
      } catch {
        // gone already
      }
    }
    spawnSync('sleep', ['0.2']);
  }
  ip(['netns', 'delete', name], true);
  rmSync(join(NETNS_ETC, name), { recursive: true, force: true });
}

/**
 * Removes the namespaces of a previous run for `purpose` whose test process is gone (a killed
 * run leaves them behind); namespaces of runs still alive are kept.
 */
export function sweepNetns(purpose: string): string[] {
  const names = ip(['netns', 'list'], true)
    .stdout.split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .concat(existsSync(NETNS_ETC) ? readdirSync(NETNS_ETC) : []);
  const swept = new Set<string>();
  for (const n of names) {
    const m = OURS.exec(n);
    if (!m || m[1] !== purpose || pidAlive(Number(m[2]))) continue;
    removeNetns(n);
    swept.add(n);
  }
  return [...swept];
}

export interface Netns {
  name: string;
  /** `ip netns exec <name> cmd...`: the argv that runs cmd inside. */
  wrap(cmd: string, args?: string[]): { command: string; args: string[] };
  /** Runs a command inside and waits for it. */
  run(cmd: string, args?: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): { code: number; stdout: string; stderr: string };
  /** Replaces the namespace's /etc/hosts (name → address lines), seen by processes started after. */
  setHosts(entries: Record<string, string>): void;
  remove(): void;
}

/**
 * A new network namespace mk-<purpose>-<pid> with only loopback up and no route out, and
 * its own /etc/hosts and resolv.conf (no name server: names resolve from hosts alone).
 * Leftovers of a killed run for the same purpose are swept first.
 */
export function createNetns(purpose: string): Netns {
  if (!/^[a-z0-9]+$/.test(purpose)) throw new Error(`netns purpose must be [a-z0-9]+: ${purpose}`);
  sweepNetns(purpose);
  const name = `mk-${purpose}-${process.pid}`;
  removeNetns(name);
  const etc = join(NETNS_ETC, name);
  mkdirSync(etc, { recursive: true });
  const writeHosts = (entries: Record<string, string>) =>
    writeFileSync(
      join(etc, 'hosts'),
      ['127.0.0.1 localhost', '::1 localhost', ...Object.entries(entries).map(([host, addr]) => `${addr} ${host}`)].join('\n') + '\n',
    );
  writeHosts({});
  // No nameserver line would mean 127.0.0.1:53; an unused loopback port fails at once instead.
  writeFileSync(join(etc, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  ip(['netns', 'add', name]);
  ip(['-n', name, 'link', 'set', 'lo', 'up']);
  const wrap = (cmd: string, args: string[] = []) => ({ command: 'ip', args: ['netns', 'exec', name, cmd, ...args] });
  return {
    name,
    wrap,
    run(cmd, args = [], opts = {}) {
      const w = wrap(cmd, args);
      const r = spawnSync(w.command, w.args, { encoding: 'utf8', env: opts.env ?? process.env, input: opts.input, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 });
      if (r.error) throw r.error;
      return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    setHosts: writeHosts,
    remove: () => removeNetns(name),
  };
}
