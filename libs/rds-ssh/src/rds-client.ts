// Typed RDS operations over the RouterOS CLI. Every identifier is validated by an
// allow-list and every value is quoted before a command is built; nothing is sent
// when validation fails.
import semver from 'semver';
import { buildCommand, prefixRegex, val, type CliValue, type CommandSpec } from './command';
import type { ConnectionEvents, SshTarget } from './connection';
import { RdsError, findRouterError, routerError } from './errors';
import { parsePrint, parseSettings } from './parse';
import { SshPool } from './pool';
import { toSubvolume, toVolume, type Capacity, type Subvolume, type Volume } from './records';
import {
  validateBasePath,
  validateComment,
  validateFilePath,
  validateNqn,
  validatePort,
  validateRelativeName,
  validateSize,
  validateSlot,
} from './validate';
import { parseGroupedInt } from './values';

export interface RdsClientOptions extends SshTarget {
  /** Directories volumes may live in ("/storage-pool/metal-csi"); file paths outside are refused. */
  volumeBases: string[];
  /** SSH connections to the RDS, each with `maxChannels` exec channels (default 1). */
  connections?: number;
  /** RouterOS version; read from `/system/resource` on first use when omitted. */
  routerosVersion?: string;
  events?: ConnectionEvents & { onCommand?: (command: string, ms: number, error?: RdsError) => void };
}

export interface CreateVolumeRequest {
  slot: string;
  filePath: string;
  sizeBytes: number;
  /** NVMe/TCP export; omit for an unexported disk. */
  export?: { port: number; nqn?: string };
  comment?: string;
}

export interface CloneVolumeRequest extends Omit<CreateVolumeRequest, 'sizeBytes'> {
  sourceSlot: string;
  /** Grow the copy to this size; omit to keep the source size. */
  sizeBytes?: number;
}

export interface SnapshotSubvolumeRequest {
  fs: string;
  parent: string;
  name: string;
  readOnly?: boolean;
}

/** First version with `nvme-tcp-server-nqn` (docs/routeros.md "ROSE Data Server disks"). */
const SERVER_NQN_SINCE = '7.21.0';

export class RdsClient {
  readonly connection: SshPool;
  private version: Promise<string> | undefined;

  constructor(private readonly opts: RdsClientOptions) {
    opts.volumeBases.forEach(validateBasePath);
    this.connection = new SshPool(opts, opts.events);
    if (opts.routerosVersion) this.version = Promise.resolve(opts.routerosVersion);
  }

  close(): void {
    this.connection.close();
  }

  /** Builds, sends and checks one command; returns stdout. */
  async run(spec: CommandSpec, timeoutMs?: number): Promise<string> {
    const command = buildCommand(spec);
    const started = Date.now();
    try {
      const r = await this.connection.exec(command, timeoutMs);
      const line = findRouterError(r.stdout) ?? findRouterError(r.stderr);
      if (line) throw routerError(line, command);
      if (r.code !== undefined && r.code !== 0) {
        throw new RdsError('router', `exit ${r.code}: ${(r.stderr || r.stdout).trim()}`, command);
      }
      this.opts.events?.onCommand?.(command, Date.now() - started);
      return r.stdout;
    } catch (e) {
      this.opts.events?.onCommand?.(command, Date.now() - started, e as RdsError);
      throw e;
    }
  }

  async routerosVersion(): Promise<string> {
    this.version ??= this.run({ menu: '/system/resource', verb: 'print' })
      .then((out) => parseSettings(out).version ?? '')
      .catch((e) => {
        this.version = undefined;
        throw e;
      });
    return this.version;
  }

  async supportsServerNqn(): Promise<boolean> {
    const v = semver.coerce(await this.routerosVersion());
    return v !== null && semver.gte(v, SERVER_NQN_SINCE);
  }

  async createVolume(req: CreateVolumeRequest): Promise<Volume> {
    validateSize(req.sizeBytes);
    await this.addDisk(req, [['file-size', val.size(req.sizeBytes)]]);
    return this.mustGet(req.slot);
  }

  /** A disk over a file that is already there (a btrfs snapshot's image); it keeps the file's size. */
  async attachVolume(req: Omit<CreateVolumeRequest, 'sizeBytes'>): Promise<Volume> {
    await this.addDisk(req, []);
    return this.mustGet(req.slot);
  }

  /** A copy-on-write copy of another file disk (`copy-from`), optionally exported and grown. */
  async cloneVolume(req: CloneVolumeRequest): Promise<Volume> {
    validateSlot(req.sourceSlot, 'source slot');
    if (req.sizeBytes !== undefined) validateSize(req.sizeBytes);
    this.managed(await this.mustGet(req.sourceSlot));
    const extra: Array<readonly [string, CliValue]> = [['copy-from', val.find('slot', req.sourceSlot)]];
    if (req.sizeBytes !== undefined) extra.push(['file-size', val.size(req.sizeBytes)]);
    await this.addDisk(req, extra);
    return this.mustGet(req.slot);
  }

  async getVolume(slot: string): Promise<Volume | undefined> {
    validateSlot(slot);
    const [rec] = await this.printDisks([{ field: 'slot', op: '=', value: slot }]);
    return rec;
  }

  /** Disks whose slot starts with `prefix` ("pvc-"). */
  async listVolumes(prefix: string): Promise<Volume[]> {
    if (prefix !== '') validateSlot(prefix, 'slot prefix');
    return this.printDisks([{ field: 'slot', op: '~', value: prefixRegex(prefix) }]);
  }

  /** Grows a file disk; equal size is a no-op, shrinking is refused. */
  async resizeVolume(slot: string, sizeBytes: number): Promise<Volume> {
    validateSize(sizeBytes);
    const cur = this.managed(await this.mustGet(slot));
    if (cur.sizeBytes !== undefined && sizeBytes < cur.sizeBytes) {
      throw new RdsError('invalid-input', `cannot shrink ${slot} from ${cur.sizeBytes} to ${sizeBytes} bytes`);
    }
    if (cur.sizeBytes === sizeBytes) return cur;
    await this.run({ menu: '/disk', verb: 'set', target: val.find('slot', slot), args: [['file-size', val.size(sizeBytes)]] });
    return this.mustGet(slot);
  }

  /**
   * Removes the disk and its backing file. Idempotent: returns false when the disk was
   * already gone. `filePath` lets a retry clean up a file whose disk is already removed.
   */
  async deleteVolume(slot: string, filePath?: string): Promise<boolean> {
    validateSlot(slot);
    if (filePath !== undefined) validateFilePath(filePath, this.opts.volumeBases);
    const cur = await this.getVolume(slot);
    if (cur) {
      this.managed(cur);
      await this.run({ menu: '/disk', verb: 'remove', target: val.find('slot', slot) });
    }
    const file = cur?.filePath ?? filePath;
    if (file !== undefined) await this.removeFile(file);
    return cur !== undefined;
  }

  /** Removes the disk only, keeping its image (one inside a subvolume goes with the subvolume). Idempotent. */
  async removeDisk(slot: string): Promise<boolean> {
    const cur = await this.getVolume(slot);
    if (!cur) return false;
    this.managed(cur);
    await this.run({ menu: '/disk', verb: 'remove', target: val.find('slot', slot) });
    return true;
  }

  /** Removes a file under a volume base (orphan cleanup). */
  async removeFile(filePath: string): Promise<void> {
    validateFilePath(filePath, this.opts.volumeBases);
    try {
      // RouterOS file names carry no leading slash.
      await this.run({ menu: '/file', verb: 'remove', target: val.find('name', filePath.slice(1)) });
    } catch (e) {
      if (!(e instanceof RdsError && e.kind === 'not-found')) throw e;
    }
  }

  /** Size and free space of the disk that holds `basePath` (its first path component). */
  async capacity(basePath: string): Promise<Capacity> {
    validateBasePath(basePath);
    const mount = basePath.split('/')[1] as string;
    const out = await this.run({ menu: '/disk', verb: 'print', flags: ['detail'], where: [{ field: 'mount-point', op: '=', value: mount }] });
    const [rec] = parsePrint(out);
    const total = parseGroupedInt(rec?.props.size);
    const free = parseGroupedInt(rec?.props.free);
    if (!rec || total === undefined || free === undefined || total === 0) {
      throw new RdsError('not-found', `no disk mounted at ${mount} reports size and free space`);
    }
    const fs = rec.props['fs'];
    return { totalBytes: total, freeBytes: free, usedBytes: total - free, ...(fs && fs !== '-' ? { fs } : {}) };
  }

  /** A plain (writable) btrfs subvolume on file system `fs`. */
  async createSubvolume(fs: string, name: string): Promise<Subvolume> {
    validateSlot(fs, 'btrfs filesystem');
    validateRelativeName(name, 'subvolume name');
    return this.addSubvolume(name, [
      ['fs', val.str(fs)],
      ['name', val.str(name)],
    ]);
  }

  /** A btrfs snapshot: a (by default read-only) subvolume with `parent`. */
  async snapshotSubvolume(req: SnapshotSubvolumeRequest): Promise<Subvolume> {
    validateSlot(req.fs, 'btrfs filesystem');
    validateRelativeName(req.parent, 'parent subvolume');
    validateRelativeName(req.name, 'subvolume name');
    return this.addSubvolume(req.name, [
      ['fs', val.str(req.fs)],
      ['name', val.str(req.name)],
      ['parent', val.str(req.parent)],
      ['read-only', val.bool(req.readOnly ?? true)],
    ]);
  }

  async getSubvolume(name: string): Promise<Subvolume | undefined> {
    validateRelativeName(name, 'subvolume name');
    const [s] = await this.printSubvolumes([{ field: 'name', op: '=', value: name }]);
    return s;
  }

  async listSubvolumes(prefix: string): Promise<Subvolume[]> {
    // A prefix may end in `/` ("snaps/"): validate it without the slash.
    if (prefix !== '') validateRelativeName(prefix.replace(/\/$/, ''), 'subvolume prefix');
    return this.printSubvolumes([{ field: 'name', op: '~', value: prefixRegex(prefix) }]);
  }

  /** Idempotent: false when it did not exist. */
  async deleteSubvolume(name: string): Promise<boolean> {
    if (!(await this.getSubvolume(name))) return false;
    await this.run({ menu: '/disk/btrfs/subvolume', verb: 'remove', target: val.find('name', name) });
    return true;
  }

  private async addDisk(req: Omit<CreateVolumeRequest, 'sizeBytes'>, extra: ReadonlyArray<readonly [string, CliValue]>) {
    validateSlot(req.slot);
    validateFilePath(req.filePath, this.opts.volumeBases);
    const args: Array<readonly [string, CliValue]> = [
      ['type', val.str('file')],
      ...extra,
      ['file-path', val.str(req.filePath)],
      ['slot', val.str(req.slot)],
    ];
    if (req.export) {
      validatePort(req.export.port);
      if (req.export.nqn !== undefined) validateNqn(req.export.nqn);
      args.push(['nvme-tcp-export', val.bool(true)], ['nvme-tcp-server-port', val.int(req.export.port)]);
      if (req.export.nqn !== undefined && (await this.supportsServerNqn())) {
        args.push(['nvme-tcp-server-nqn', val.str(req.export.nqn)]);
      }
    }
    if (req.comment !== undefined) args.push(['comment', val.str(validateComment(req.comment))]);
    await this.run({ menu: '/disk', verb: 'add', args });
  }

  private async addSubvolume(name: string, args: ReadonlyArray<readonly [string, CliValue]>): Promise<Subvolume> {
    await this.run({ menu: '/disk/btrfs/subvolume', verb: 'add', args });
    const s = await this.getSubvolume(name);
    if (!s) throw new RdsError('router', `subvolume ${name} missing after add`);
    return s;
  }

  /** Refuses disks that are not file disks under a volume base (never touch what we did not create). */
  private managed(v: Volume): Volume {
    const inBase = v.filePath !== undefined && this.opts.volumeBases.some((b) => v.filePath?.startsWith(`${b}/`));
    if (v.type !== 'file' || !inBase) {
      throw new RdsError('invalid-input', `disk ${v.slot} is not a file disk under ${this.opts.volumeBases.join(' or ')}`);
    }
    return v;
  }

  private async mustGet(slot: string): Promise<Volume> {
    const v = await this.getVolume(slot);
    if (!v) throw new RdsError('not-found', `no disk with slot ${slot}`);
    return v;
  }

  private async printDisks(where: CommandSpec['where']): Promise<Volume[]> {
    const out = await this.run({ menu: '/disk', verb: 'print', flags: ['detail'], where: where ?? [] });
    const serverNqn = await this.supportsServerNqn();
    return parsePrint(out)
      .map((r) => toVolume(r, serverNqn))
      .filter((v) => v.slot !== '');
  }

  private async printSubvolumes(where: CommandSpec['where']): Promise<Subvolume[]> {
    const out = await this.run({ menu: '/disk/btrfs/subvolume', verb: 'print', flags: ['detail'], where: where ?? [] });
    return parsePrint(out).map(toSubvolume);
  }
}
