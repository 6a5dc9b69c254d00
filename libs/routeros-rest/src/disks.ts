// /disk: rows by slot. File-backed disks and NVMe/TCP export arguments changed in 7.21
// (`nvme-tcp-server-nqn` appears); asking an older router for it fails early and clearly.
import { RouterOsError } from './errors';
import { MenuApi, rosBool, type RosArgs, type RosRecord } from './menu';
import type { CallOptions, Transport } from './transport';
import type { RouterVersion } from './version';

export interface Disk {
  id: string;
  slot: string;
  type: string;
  filePath?: string;
  fileSize?: string;
  nvmeTcpExport: boolean;
  comment?: string;
  raw: RosRecord;
}

function toDisk(r: RosRecord): Disk {
  return {
    id: r['.id'] ?? '',
    slot: r['slot'] ?? '',
    type: r['type'] ?? '',
    filePath: r['file-path'],
    fileSize: r['file-size'],
    nvmeTcpExport: rosBool(r['nvme-tcp-export']),
    comment: r['comment'],
    raw: r,
  };
}

export class DisksApi {
  readonly menu: MenuApi;
  constructor(
    t: Transport,
    private readonly version: () => Promise<RouterVersion>,
  ) {
    this.menu = new MenuApi(t, 'disk');
  }
  async list(opts?: CallOptions): Promise<Disk[]> {
    return (await this.menu.list({}, opts)).map(toDisk);
  }
  async find(slot: string, opts?: CallOptions): Promise<Disk | undefined> {
    const r = await this.menu.find(slot, opts);
    return r && toDisk(r);
  }
  async add(args: RosArgs, opts?: CallOptions): Promise<Disk> {
    await this.checkArgs(args);
    return toDisk(await this.menu.add(args, opts));
  }
  async set(ref: string, args: RosArgs, opts?: CallOptions): Promise<Disk> {
    await this.checkArgs(args);
    return toDisk(await this.menu.set(ref, args, opts));
  }
  async remove(ref: string, opts?: CallOptions): Promise<void> {
    await this.menu.remove(ref, opts);
  }
  private async checkArgs(args: RosArgs): Promise<void> {
    const v = await this.version();
    if (!v.nvmeTcpNqn && (args['nvme-tcp-server-nqn'] !== undefined || args['nvme-tcp-nqn'] !== undefined)) {
      throw new RouterOsError({ kind: 'invalid', method: 'PUT', path: 'disk', detail: `NVMe/TCP NQN arguments need RouterOS 7.21+ (router runs ${v.raw})` });
    }
  }
}
