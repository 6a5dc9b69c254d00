// The RDS targets one controller serves, each with its own SSH connection, storage address
// and volume bases. A StorageClass picks one (`rdsTarget`, or the upstream `rdsAddress` +
// `sshPort` of one); ids of volumes and snapshots on any but the default target carry its
// name ("<target>:<slot>"), so Delete, Expand, Publish and snapshots reach the RDS the volume
// is on. Ids without a name (every id the upstream driver made) belong to the default target.
import { isIP } from 'node:net';
import { MAX_ID_LENGTH, splitTargetedId, targetedId, volumeIdForName, type VolumeParams } from '@mikrotik-kube/csi-common';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { RdsBackend } from './rds-backend';

/** CSI's limit on ids (and so on "<target>:<slot>"). */
const MAX_CSI_ID = 128;

export interface Target {
  name: string;
  rds: RdsBackend;
  /** SSH management address and port (what an upstream class's rdsAddress/sshPort name). */
  address: string;
  port: number;
  /** Where nodes connect for this target's exports (unset when `address` is a host name: classes must then give nvmeAddress). */
  nvmeAddress?: string;
  nvmePort: number;
  volumeBases: string[];
  /** New volumes in btrfs subvolumes of their own, so snapshots are btrfs snapshots (subvolumes.ts). */
  btrfsSubvolumes: boolean;
}

export class Targets {
  private readonly byName: Map<string, Target>;

  constructor(
    readonly list: Target[],
    readonly defaultName: string,
  ) {
    this.byName = new Map(list.map((t) => [t.name, t]));
    if (this.byName.size !== list.length) throw new Error('RDS target names must be unique');
    for (const t of list) if (t.nvmeAddress !== undefined && isIP(t.nvmeAddress) === 0) throw new Error(`RDS target ${t.name}: nvmeAddress ${JSON.stringify(t.nvmeAddress)} must be an IP address`);
  }

  /** A configured target, or INVALID_ARGUMENT naming the ones there are. */
  named(name: string, what: string): Target {
    const t = this.byName.get(name);
    if (!t) throw grpcError(status.INVALID_ARGUMENT, `${what}: unknown RDS target ${JSON.stringify(name)} (configured: ${[...this.byName.keys()].join(', ')})`);
    return t;
  }

  /** The target a StorageClass's parameters choose. */
  forParams(p: VolumeParams): Target {
    const matches = (t: Target) => (!p.rdsAddress || t.address === p.rdsAddress) && (p.sshPort === undefined || t.port === p.sshPort);
    const want = p.rdsAddress ? `${p.rdsAddress}:${p.sshPort ?? 'any port'}` : `ssh port ${p.sshPort}`;
    if (p.rdsTarget) {
      const t = this.named(p.rdsTarget, 'rdsTarget');
      if (!matches(t)) throw grpcError(status.INVALID_ARGUMENT, `rdsTarget ${t.name} is at ${t.address}:${t.port}, not ${want}`);
      return t;
    }
    if (p.rdsAddress) {
      const hits = this.list.filter(matches);
      if (hits.length !== 1) throw grpcError(status.INVALID_ARGUMENT, `${hits.length ? 'several' : 'no'} RDS targets at ${want}; name one with rdsTarget`);
      return hits[0] as Target;
    }
    const t = this.named(this.defaultName, 'no rdsTarget parameter, default target');
    if (!matches(t)) throw grpcError(status.INVALID_ARGUMENT, `the default RDS target ${t.name} is at ${t.address}:${t.port}, not ${want}`);
    return t;
  }

  /** Where nodes connect for a class's volumes on a target: the class's storage address, else the target's. */
  nvmeAddress(t: Target, p: VolumeParams): string {
    const a = p.nvmeAddress ?? t.nvmeAddress;
    if (!a) throw grpcError(status.INVALID_ARGUMENT, `RDS target ${t.name} has no nvmeAddress (its address ${t.address} is a host name): set the target's nvmeAddress or the class's`);
    return a;
  }

  /** The target and slot a CSI id names; INVALID_ARGUMENT when it names no configured target. */
  resolve(id: string): { target: Target; slot: string } {
    const { target, slot } = splitTargetedId(id);
    return { target: this.named(target ?? this.defaultName, `id ${id}`), slot };
  }

  /** The CSI id of a slot on a target. */
  idOf(t: Target, slot: string): string {
    return targetedId(t.name === this.defaultName ? undefined : t.name, slot);
  }

  /** The slot for a CreateVolume name on a target, short enough that its id fits CSI's limit. */
  slotForName(t: Target, name: string): string {
    const room = t.name === this.defaultName ? MAX_ID_LENGTH : Math.min(MAX_ID_LENGTH, MAX_CSI_ID - t.name.length - 1);
    return volumeIdForName(name, room);
  }
}
