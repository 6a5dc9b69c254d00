// File system tools on a block device: probe before anything (format only a truly blank
// device), check before mounting, grow after expansion. ext4 and xfs (and ext3, which the
// controller's StorageClass parameters still accept; it shares the ext tooling).
import { type Runner, run as defaultRun } from './exec';

export const SUPPORTED_FS = ['ext4', 'ext3', 'xfs'] as const;
export type FsType = (typeof SUPPORTED_FS)[number];
export const isSupportedFs = (s: string): s is FsType => (SUPPORTED_FS as readonly string[]).includes(s);

export interface Probe {
  /** Nothing recognisable on the device (no fs, no partition table, no RAID/LVM signature). */
  blank: boolean;
  /** `TYPE` (file system or other signature), e.g. ext4, xfs, LVM2_member. */
  type?: string;
  /** `PTTYPE` when the device carries a partition table. */
  ptType?: string;
}

export class FsTools {
  private readonly run: Runner;

  constructor(
    private readonly timeoutMs: number,
    run?: Runner,
  ) {
    this.run = run ?? defaultRun;
  }

  /** Low-level probe (`blkid -p`, no cache): exit 2 = nothing found; anything else found is not blank. */
  async probe(device: string): Promise<Probe> {
    const r = await this.run('blkid', ['-p', '-o', 'export', device], { timeoutMs: this.timeoutMs, okCodes: [0, 2] });
    if (r.code === 2) return { blank: true };
    const kv = Object.fromEntries(
      r.stdout
        .split('\n')
        .map((l) => l.split('='))
        .filter((p) => p.length >= 2)
        .map(([k, ...v]) => [k, v.join('=')]),
    );
    return { blank: false, ...(kv['TYPE'] ? { type: kv['TYPE'] } : {}), ...(kv['PTTYPE'] ? { ptType: kv['PTTYPE'] } : {}) };
  }

  async format(device: string, fs: FsType): Promise<void> {
    if (fs !== 'xfs') await this.run(`mkfs.${fs}`, ['-F', '-q', '-m', '0', device], { timeoutMs: this.timeoutMs });
    else await this.run('mkfs.xfs', ['-f', '-q', device], { timeoutMs: this.timeoutMs });
  }

  /**
   * Checks before mounting. ext4: preen (`-p`) fixes what is safe; exit ≥4 means errors left.
   * xfs: `xfs_repair -n` reports; exit 2 is a dirty log, which the mount itself replays.
   * Returns a problem description, or undefined when the fs may be mounted.
   */
  async check(device: string, fs: FsType): Promise<string | undefined> {
    if (fs !== 'xfs') {
      const r = await this.run(`fsck.${fs}`, ['-p', device], { timeoutMs: this.timeoutMs, okCodes: [0, 1, 2, 4, 8, 12] });
      return r.code >= 4 ? `fsck.${fs} found errors it could not fix (exit ${r.code}): ${(r.stdout + r.stderr).trim().slice(0, 300)}` : undefined;
    }
    const r = await this.run('xfs_repair', ['-n', device], { timeoutMs: this.timeoutMs, okCodes: [0, 1, 2] });
    return r.code === 1 ? `xfs_repair -n found corruption: ${(r.stdout + r.stderr).trim().slice(0, 300)}` : undefined;
  }

  /** Grows the file system to the device size (ext4 by device, xfs by mount point; both online). */
  async grow(device: string, fs: FsType, mountPath: string): Promise<void> {
    if (fs !== 'xfs') await this.run('resize2fs', [device], { timeoutMs: this.timeoutMs });
    else await this.run('xfs_growfs', ['-d', mountPath], { timeoutMs: this.timeoutMs });
  }

  async sizeBytes(device: string): Promise<number> {
    const r = await this.run('blockdev', ['--getsize64', device], { timeoutMs: this.timeoutMs });
    return Number(r.stdout.trim());
  }
}
