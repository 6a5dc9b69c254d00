// What the kernel says about NVMe-oF subsystems: /sys/class/nvme-subsystem/*/subsysnqn, the
// controllers (paths) with their `state`, and the namespaces with their `dev` (major:minor).
// The sysfs root and /dev are configurable so tests can run without NVMe hardware.
import { readFile, readdir, readlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { blockMajMin } from './block-device';

export interface NvmeController {
  name: string;
  /** `live`, `connecting`, `resetting`, `deleting`, … */
  state: string;
  transport: string;
  address: string;
}

export interface NvmeNamespace {
  name: string;
  /** `major:minor` */
  dev: string;
}

export interface NvmeSubsystem {
  name: string;
  nqn: string;
  controllers: NvmeController[];
  namespaces: NvmeNamespace[];
}

const readTrim = async (p: string) => {
  try {
    return (await readFile(p, 'utf8')).trim();
  } catch {
    return '';
  }
};

const list = async (p: string) => {
  try {
    return await readdir(p);
  } catch {
    return [];
  }
};

export class NvmeSysfs {
  constructor(
    private readonly sysRoot = '/sys',
    private readonly devRoot = '/dev',
  ) {}

  private get subsysDir(): string {
    return join(this.sysRoot, 'class/nvme-subsystem');
  }

  async subsystems(): Promise<NvmeSubsystem[]> {
    const out: NvmeSubsystem[] = [];
    for (const name of (await list(this.subsysDir)).sort()) {
      const dir = join(this.subsysDir, name);
      const nqn = await readTrim(join(dir, 'subsysnqn'));
      if (!nqn) continue;
      const entries = await list(dir);
      const controllers: NvmeController[] = [];
      const namespaces = new Map<string, NvmeNamespace>();
      for (const e of entries.sort()) {
        if (/^nvme\d+$/.test(e)) {
          const c = join(dir, e);
          controllers.push({
            name: e,
            state: await readTrim(join(c, 'state')),
            transport: await readTrim(join(c, 'transport')),
            address: await readTrim(join(c, 'address')),
          });
          // Without native multipath the namespaces hang below the controller.
          for (const n of await list(c)) if (/^nvme\d+(c\d+)?n\d+$/.test(n)) await this.addNs(namespaces, join(c, n), n);
        } else if (/^nvme\d+n\d+$/.test(e)) {
          await this.addNs(namespaces, join(dir, e), e);
        }
      }
      out.push({ name, nqn, controllers, namespaces: [...namespaces.values()] });
    }
    return out;
  }

  private async addNs(into: Map<string, NvmeNamespace>, dir: string, name: string): Promise<void> {
    const dev = await readTrim(join(dir, 'dev'));
    if (dev && !into.has(dev)) into.set(dev, { name, dev });
  }

  async byNqn(nqn: string): Promise<NvmeSubsystem | undefined> {
    return (await this.subsystems()).find((s) => s.nqn === nqn);
  }

  /**
   * The /dev node of a namespace: `<dev>/<name>` when it is that device, else the kernel name
   * behind `<sys>/dev/block/<maj:min>`. Verified by major:minor so a reused name never matches.
   */
  async devicePath(ns: NvmeNamespace): Promise<string | undefined> {
    const candidates = [join(this.devRoot, ns.name)];
    try {
      candidates.push(join(this.devRoot, basename(await readlink(join(this.sysRoot, 'dev/block', ns.dev)))));
    } catch {
      // no dev/block link: only the namespace name is a candidate
    }
    for (const c of candidates) if ((await blockMajMin(c)) === ns.dev) return c;
    return undefined;
  }

  /** The block device of a connected subsystem (first namespace whose node exists). */
  async deviceForNqn(nqn: string): Promise<{ subsystem: NvmeSubsystem; device: string } | undefined> {
    const s = await this.byNqn(nqn);
    if (!s) return undefined;
    for (const ns of s.namespaces) {
      const device = await this.devicePath(ns);
      if (device) return { subsystem: s, device };
    }
    return undefined;
  }
}
