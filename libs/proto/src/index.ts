// Loads the contracts in proto/ at run time and re-exports the TypeScript
// types generated from them (`npm run proto:gen`), so no shape is written by hand.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { wireProblem } from './strict-decode';
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

const MALFORMED = Symbol('malformed request');

/**
 * Why a request a server received is malformed (truncated fields, invalid UTF-8 …), or
 * undefined. grpc-js answers a throwing deserializer with INTERNAL, so the strict
 * deserializers below hand the reason on in place of the message instead; the server
 * (grpc-kit) answers it with INVALID_ARGUMENT before any handler runs.
 */
export function malformedRequest(request: unknown): string | undefined {
  return typeof request === 'object' && request !== null ? (request as { [MALFORMED]?: string })[MALFORMED] : undefined;
}

/** The same .proto files as protobufjs types, which the strict request check walks. */
function protobufRoot(file: string, includeDir: string): protobuf.Root {
  const root = new protobuf.Root();
  const resolve = root.resolvePath.bind(root);
  root.resolvePath = (origin, target) => {
    if (isAbsolute(target)) return target;
    const inRoot = join(includeDir, target);
    return existsSync(inRoot) ? inRoot : resolve(origin, target);
  };
  root.loadSync(join(includeDir, file), { keepCase: true });
  root.resolveAll();
  return root;
}

/** Every service method's request decoder checks the bytes strictly first (strict-decode.ts). */
function strictRequests(def: protoLoader.PackageDefinition, types: protobuf.Root): void {
  for (const [name, entry] of Object.entries(def)) {
    if ('format' in entry) continue; // a message or enum, not a service
    const service = types.lookupService(name);
    for (const [methodName, method] of Object.entries(entry)) {
      const type = service.methods[methodName]?.resolvedRequestType;
      if (!type) throw new Error(`no request type for ${method.path}`);
      const lenient = method.requestDeserialize;
      method.requestDeserialize = (buf: Buffer) => {
        const problem = wireProblem(type, buf);
        return problem ? { [MALFORMED]: `malformed request: ${problem}` } : lenient(buf);
      };
    }
  }
}

/** Loads one contract file (relative to proto/) as a grpc-js package object. */
export function loadContract<T>(file: string): T {
  let pkg = cache.get(file);
  if (!pkg) {
    const root = protoRoot();
    const def = protoLoader.loadSync(join(root, file), { ...LOADER_OPTIONS, includeDirs: [root] });
    strictRequests(def, protobufRoot(file, root));
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
