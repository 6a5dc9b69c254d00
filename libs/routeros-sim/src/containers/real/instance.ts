// One running simulator's footprint on the host, named with a per-instance prefix so it can
// be found and removed: runc state and bundles under /run/routeros-sim/<id>, cgroups
// /routeros-sim-<id>/…, network namespaces and host links `rs<id>…`. A simulator that died
// without cleaning up (SIGKILL, a crashed test) is swept by the next one that starts.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runcCall } from './runc';

export const RUN_BASE = '/run/routeros-sim';
const CGROUP_ROOT = '/sys/fs/cgroup';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Bounded `ip …` (iproute2); rejects with its stderr. */
export function ip(args: string[], timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`ip ${args.join(' ')}: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
  });
}

function startTime(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat, after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export class SimInstance {
  readonly dir: string;
  private constructor(readonly id: string) {
    this.dir = join(RUN_BASE, id);
  }

  /** Sweeps leftovers of dead instances, then claims a new id. */
  static async create(): Promise<SimInstance> {
    await sweepDead();
    const inst = new SimInstance(randomBytes(3).toString('hex'));
    mkdirSync(inst.dir, { recursive: true });
    writeFileSync(join(inst.dir, 'owner'), `${process.pid} ${startTime(process.pid) ?? ''}\n`);
    return inst;
  }

  get runcRoot(): string {
    return join(this.dir, 'runc');
  }

  bundleDir(cid: string): string {
    return join(this.dir, 'bundles', cid);
  }

  /** runc container ids and cgroup leaves start with this. */
  get prefix(): string {
    return `rs${this.id}`;
  }

  get cgroupParent(): string {
    return `/routeros-sim-${this.id}`;
  }

  /** Removes everything this instance made on the host. */
  release(): Promise<void> {
    return cleanup(this.id);
  }
}

function alive(dir: string): boolean {
  try {
    const [pid, start] = readFileSync(join(dir, 'owner'), 'utf8').trim().split(' ');
    return !!pid && startTime(Number(pid)) === start && start !== undefined;
  } catch {
    return false;
  }
}

async function sweepDead(): Promise<void> {
  if (!existsSync(RUN_BASE)) return;
  for (const id of readdirSync(RUN_BASE)) {
    if (!/^[0-9a-f]{6}$/.test(id) || alive(join(RUN_BASE, id))) continue;
    await cleanup(id);
  }
}

/** Every cgroup directory of the instance, leaves first, per mounted controller. */
export function cgroupDirs(id: string): string[] {
  const out: string[] = [];
  for (const ctrl of existsSync(CGROUP_ROOT) ? readdirSync(CGROUP_ROOT) : []) {
    const parent = join(CGROUP_ROOT, ctrl, `routeros-sim-${id}`);
    if (!existsSync(parent)) continue;
    for (const leaf of readdirSync(parent, { withFileTypes: true })) if (leaf.isDirectory()) out.push(join(parent, leaf.name));
    out.push(parent);
  }
  return out;
}

/** Kills what is left in a cgroup directory and removes it (bounded retries while procs exit). */
export async function removeCgroup(dir: string): Promise<void> {
  for (let i = 0; i < 50 && existsSync(dir); i++) {
    try {
      for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      rmdirSync(dir);
    } catch {
      await sleep(20);
    }
  }
}

async function cleanup(id: string): Promise<void> {
  const dir = join(RUN_BASE, id);
  const root = join(dir, 'runc');
  if (existsSync(root)) {
    const ids = (await runcCall(root, ['list', '-q']).catch(() => '')).split('\n').filter(Boolean);
    for (const c of ids) await runcCall(root, ['delete', '--force', c]).catch(() => undefined);
  }
  for (const d of cgroupDirs(id)) await removeCgroup(d);
  const netns = (await ip(['netns', 'list']).catch(() => '')).split('\n').map((l) => l.split(' ')[0] ?? '');
  for (const ns of netns) if (ns.startsWith(`rs${id}`)) await ip(['netns', 'delete', ns]).catch(() => undefined);
  const links = await ip(['-o', 'link', 'show']).catch(() => '');
  for (const m of links.matchAll(new RegExp(`^\\d+: (rs${id}[a-z0-9]*)[@:]`, 'gm'))) await ip(['link', 'delete', m[1] as string]).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
}
