// /proc/self/mountinfo is the kernel's truth about what is mounted where; reading it (rather
// than remembering) lets the plugin rediscover staged volumes after a restart and notice
// mounts that were lost or replaced behind its back.
import { readFile } from 'node:fs/promises';

export interface MountEntry {
  id: number;
  parent: number;
  /** `major:minor` of the mounted file system (for a bind of a device node: devtmpfs's). */
  dev: string;
  /** Path inside the source file system that is mounted (`/` for a whole fs, `/loop3` for a device-node bind). */
  root: string;
  target: string;
  options: string[];
  fsType: string;
  source: string;
  superOptions: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const f = line.split(' ');
    const sepAt = f.indexOf('-', 6);
    if (f.length < 10 || sepAt < 0) continue;
    out.push({
      id: Number(f[0]),
      parent: Number(f[1]),
      dev: f[2] ?? '',
      root: unescape(f[3] ?? ''),
      target: unescape(f[4] ?? ''),
      options: (f[5] ?? '').split(','),
      fsType: f[sepAt + 1] ?? '',
      source: unescape(f[sepAt + 2] ?? ''),
      superOptions: (f[sepAt + 3] ?? '').split(','),
    });
  }
  return out;
}

export class MountTable {
  constructor(private readonly path = '/proc/self/mountinfo') {}

  async read(): Promise<MountEntry[]> {
    return parseMountInfo(await readFile(this.path, 'utf8'));
  }

  /** The top-most mount on a path (the last one listed wins, as the kernel stacks them). */
  async at(target: string): Promise<MountEntry | undefined> {
    const all = await this.read();
    return all.filter((m) => m.target === target).pop();
  }

  /** How many mounts are stacked on a path (repeated binds must not pile up). */
  async countAt(target: string): Promise<number> {
    return (await this.read()).filter((m) => m.target === target).length;
  }

  /** Mounts whose file system is the given device (by `major:minor`). */
  async ofDevice(majMin: string): Promise<MountEntry[]> {
    return (await this.read()).filter((m) => m.dev === majMin);
  }
}

export const isReadOnly = (m: MountEntry) => m.options.includes('ro');
