// Loads the contracts in proto/ at run time and re-exports the TypeScript
// types generated from them (`npm run proto:gen`), so no shape is written by hand.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as CsiProto } from './generated/csi';
import type { ProtoGrpcType as IpamProto } from './generated/ipam';
import type { ProtoGrpcType as ImagesProto } from './generated/images';
import type { ProtoGrpcType as SupervisorProto } from './generated/supervisor';

export type * as kube from './generated/kube-types';
export type * as csi from './generated/csi-types';

/** Must match the flags in tools/proto-gen.mjs. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
};

/**
 * The proto/ directory: $MK_PROTO_DIR, else the nearest `proto/` above this
 * module (source tree) or beside a bundle (assets copied into dist).
 */
export function protoRoot(): string {
  const fromEnv = process.env['MK_PROTO_DIR'];
  if (fromEnv) return fromEnv;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'mikrotik'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('proto/ directory not found; set MK_PROTO_DIR');
    dir = parent;
  }
}

const cache = new Map<string, unknown>();

/** Loads one contract file (relative to proto/) as a grpc-js package object. */
export function loadContract<T>(file: string): T {
  let pkg = cache.get(file);
  if (!pkg) {
    const root = protoRoot();
    const def = protoLoader.loadSync(join(root, file), { ...LOADER_OPTIONS, includeDirs: [root] });
    pkg = grpc.loadPackageDefinition(def);
    cache.set(file, pkg);
  }
  return pkg as T;
}

export const contracts = {
  csi: () => loadContract<CsiProto>('csi/v1/csi.proto').csi.v1,
  ipam: () => loadContract<IpamProto>('mikrotik/kube/v1/ipam.proto').mikrotik.kube.v1,
  images: () => loadContract<ImagesProto>('mikrotik/kube/v1/images.proto').mikrotik.kube.v1,
  supervisor: () => loadContract<SupervisorProto>('mikrotik/kube/v1/supervisor.proto').mikrotik.kube.v1,
};
