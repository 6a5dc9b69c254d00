// What a container start means, from its /container row, its image's config and the
// /container/envs and /container/mounts rows it names: argv (RouterOS applies Docker's rule —
// a set `entrypoint` drops the image CMD), environment, workdir, user, hostname, DNS, bind
// mounts (router paths; a missing source is created and filled from the image) and memory limits.
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FileStore } from '../../files/store';
import type { MenuContext } from '../../state/menu-spec';
import type { Row } from '../../state/values';
import type { ImageConfig } from '../image-archive';
import type { BindMount, LaunchSpec } from './oci-spec';
import { entryParts, LayerError, resolveInRoot } from './rootfs';
import { splitWords } from './words';

/** A start that fails on the router: the text after `*** error: start failed: `. */
export class StartError extends Error {}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export type ImageDefaults = NonNullable<ImageConfig['config']>;

export interface PlanInput {
  ctx: MenuContext;
  files: FileStore;
  row: Row;
  image: ImageDefaults;
  rootPath: string;
  /** Where generated files (resolv.conf, hosts) are written for bind mounting. */
  bundleDir: string;
  /** The container's own address and gateway, from its veth. */
  address?: string;
  gateway?: string;
}

export type LaunchPlan = Omit<LaunchSpec, 'cgroupsPath' | 'netnsPath'>;

const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

function argv(row: Row, image: ImageDefaults): string[] {
  const words = (s: string) => {
    try {
      return splitWords(s);
    } catch (e) {
      throw new StartError(`cannot parse command: ${(e as Error).message}`);
    }
  };
  const cmd = row['cmd'] ? words(row['cmd']) : undefined;
  const args = row['entrypoint'] ? [...words(row['entrypoint']), ...(cmd ?? [])] : [...(image.Entrypoint ?? []), ...(cmd ?? image.Cmd ?? [])];
  if (!args.length) throw new StartError('no command specified, set cmd or entrypoint');
  return args;
}

function environment(i: PlanInput): string[] {
  const { ctx, row, image } = i;
  const p = ctx.profile;
  const env = new Map<string, string>();
  for (const kv of image.Env ?? []) env.set(kv.split('=')[0] as string, kv);
  const lists = new Set(list(row[p.containerEnvArg]));
  for (const e of ctx.state.menu('container/envs').rows()) {
    if (!lists.has(e[p.envsListField] ?? '') || e['disabled'] === 'true' || !e['key']) continue;
    env.set(e['key'], `${e['key']}=${e['value'] ?? ''}`);
  }
  for (const kv of list(row['env'])) if (kv.includes('=')) env.set(kv.split('=')[0] as string, kv);
  if (!env.has('PATH')) env.set('PATH', DEFAULT_PATH);
  return [...env.values()];
}

function lookupId(root: string, file: string, name: string): { id: number; gid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(resolveInRoot(root, ['etc', file], false, true), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f[0] === name && f[2] !== undefined) return { id: Number(f[2]), gid: Number(f[3] ?? f[2]) };
  }
  return undefined;
}

/** `uid`, `uid:gid`, `name` or `name:group`, names looked up in the image's /etc files. */
function user(root: string, spec: string): { uid: number; gid: number } {
  if (!spec) return { uid: 0, gid: 0 };
  const [u = '', g] = spec.split(':');
  let uid: number;
  let gid: number;
  if (/^\d+$/.test(u)) {
    uid = Number(u);
    gid = Number(lookupByUid(root, uid) ?? uid);
  } else {
    const found = lookupId(root, 'passwd', u);
    if (!found) throw new StartError(`unable to find user ${u}: no matching entries in passwd file`);
    uid = found.id;
    gid = found.gid;
  }
  if (g !== undefined) {
    if (/^\d+$/.test(g)) gid = Number(g);
    else {
      const found = lookupId(root, 'group', g);
      if (!found) throw new StartError(`unable to find group ${g}: no matching entries in group file`);
      gid = found.id;
    }
  }
  return { uid, gid };
}

function lookupByUid(root: string, uid: number): number | undefined {
  try {
    const text = readFileSync(resolveInRoot(root, ['etc', 'passwd'], false, true), 'utf8');
    for (const line of text.split('\n')) {
      const f = line.split(':');
      if (f[2] === String(uid) && f[3] !== undefined) return Number(f[3]);
    }
  } catch {
    // no passwd file: gid = uid
  }
  return undefined;
}

interface MountRow {
  src: string;
  dst: string;
  readOnly: boolean;
  noExec: boolean;
}

function mountRows(i: PlanInput): MountRow[] {
  const { ctx, row } = i;
  const p = ctx.profile;
  const lists = new Set(list(row[p.containerMountArg]));
  const out: MountRow[] = [];
  for (const m of ctx.state.menu('container/mounts').rows()) {
    if (!lists.has(m[p.mountsListField] ?? '') || m['disabled'] === 'true') continue;
    const mode = m['mode'] ?? (m['read-only'] === 'true' ? 'ro' : 'rw');
    out.push({ src: m['src'] ?? '', dst: m['dst'] ?? '', readOnly: mode.startsWith('ro'), noExec: mode.includes('noexec') });
  }
  // Inline `mount="src=…,dst=…[,mode=…]"` (7.21+).
  if (row['mount']) {
    const kv = Object.fromEntries(list(row['mount']).map((s) => [s.split('=')[0], s.slice(s.indexOf('=') + 1)]));
    const mode = kv['mode'] ?? 'rw';
    if (kv['dst']) out.push({ src: kv['src'] ?? '', dst: kv['dst'], readOnly: mode.startsWith('ro'), noExec: mode.includes('noexec') });
  }
  return out;
}

/** Router path → host path; a missing source is created and, like the router, filled from the image's `dst`. */
function bindMounts(i: PlanInput): BindMount[] {
  return mountRows(i).map((m, n) => {
    let source: string;
    try {
      source = m.src ? i.files.resolve(m.src) : join(i.bundleDir, `volume-${n}`);
    } catch {
      throw new StartError(`invalid mount source ${m.src}`);
    }
    if (!existsSync(source)) {
      mkdirSync(source, { recursive: true });
      try {
        const from = resolveInRoot(i.rootPath, entryParts(m.dst.replace(/^\/+/, '')), false);
        cpSync(from, source, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
        const st = statSync(from);
        chownSync(source, st.uid, st.gid);
        chmodSync(source, st.mode & 0o7777);
      } catch (e) {
        if (!(e instanceof LayerError)) throw e; // nothing at dst in the image: an empty volume
      }
    }
    return { source, destination: m.dst, readOnly: m.readOnly, noExec: m.noExec };
  });
}

/** Bytes from a RouterOS size (`268435456`, `256M`, `1G`); undefined for unset/`unlimited`. */
export function parseBytes(v: string | undefined): number | undefined {
  const m = /^(\d+)\s*([kKmMgG]i?[bB]?)?$/.exec((v ?? '').trim());
  if (!m) return undefined;
  const unit = (m[2] ?? '').charAt(0).toLowerCase();
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1);
}

const lowest = (...v: Array<number | undefined>) => {
  const set = v.filter((x): x is number => x !== undefined && x > 0);
  return set.length ? Math.min(...set) : undefined;
};

/** Per-container and global (`/container/config`) limits: the lower one wins. */
function memory(i: PlanInput): { memoryLimit?: number; memoryReservation?: number } {
  const cfg = i.ctx.state.menu('container/config').rows()[0] ?? {};
  const high = lowest(parseBytes(i.row['memory-high']), parseBytes(cfg['memory-high'] ?? cfg['ram-high']));
  const max = lowest(parseBytes(i.row['memory-max']), parseBytes(cfg['memory-max']));
  // cgroup v1 has no memory.high: the only hard limit is memory-max, or memory-high without one.
  if (max !== undefined) return { memoryLimit: max, ...(high !== undefined && high < max ? { memoryReservation: high } : {}) };
  return high !== undefined ? { memoryLimit: high } : {};
}

function etcFiles(i: PlanInput, hostname: string): BindMount[] {
  const dns = list(i.row['dns']).length ? list(i.row['dns']) : i.gateway ? [i.gateway] : [];
  const resolv = [...dns.map((d) => `nameserver ${d}`), ...(i.row['domain-name'] ? [`search ${i.row['domain-name']}`] : [])].join('\n');
  const hosts = ['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', ...(i.address ? [`${i.address}\t${hostname}`] : [])];
  for (const h of list(i.row['hosts'])) {
    const [name, ip] = h.split('=');
    if (name && ip) hosts.push(`${ip}\t${name}`);
  }
  writeFileSync(join(i.bundleDir, 'resolv.conf'), `${resolv}\n`);
  writeFileSync(join(i.bundleDir, 'hosts'), `${hosts.join('\n')}\n`);
  writeFileSync(join(i.bundleDir, 'hostname'), `${hostname}\n`);
  return ['resolv.conf', 'hosts', 'hostname'].map((f) => ({ source: join(i.bundleDir, f), destination: `/etc/${f}`, readOnly: false, noExec: false }));
}

export function launchPlan(i: PlanInput): LaunchPlan {
  const args = argv(i.row, i.image);
  const cwd = i.row['workdir'] || i.image.WorkingDir || '/';
  if (!cwd.startsWith('/')) throw new StartError(`workdir ${cwd} is not absolute`);
  try {
    resolveInRoot(i.rootPath, entryParts(cwd.slice(1)), true);
  } catch (e) {
    throw new StartError(`cannot use workdir ${cwd}: ${(e as Error).message}`);
  }
  const { uid, gid } = user(i.rootPath, i.row['user'] || i.image.User || '');
  const hostname = i.row['hostname'] || (i.row['name'] ?? '').slice(0, 63) || 'container';
  return {
    rootPath: i.rootPath,
    args,
    env: environment(i),
    cwd,
    uid,
    gid,
    hostname,
    mounts: [...etcFiles(i, hostname), ...bindMounts(i)],
    ...memory(i),
  };
}
