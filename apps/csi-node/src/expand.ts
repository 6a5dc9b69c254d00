// NodeExpandVolume: the controller grew the file on the RDS; the node rescans the namespace,
// waits (bounded) for the block device to show the new size, then grows the file system online
// and reports the size the device really has.
import { grpcError, status } from '@mikrotik-kube/grpc-kit';
import type { NodeDeps } from './deps';
import type { StagedVolume } from './node-state';
import { fsTypeOf } from './staging';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function expand(d: NodeDeps, v: StagedVolume, requiredBytes: number): Promise<number> {
  const cur = await d.attacher.current(v.target.nqn);
  if (!cur) throw grpcError(status.FAILED_PRECONDITION, `volume ${v.volumeId} has no connected device to expand`);
  await d.attacher.rescan(v.target.nqn);
  let size = await d.fs.sizeBytes(cur.device);
  const deadline = Date.now() + d.resizeWaitMs;
  while (requiredBytes > 0 && size < requiredBytes && Date.now() < deadline) {
    await sleep(200);
    size = await d.fs.sizeBytes(cur.device);
  }
  if (size < requiredBytes) {
    // The target has not grown (yet): grow to what the device has and say so in capacity_bytes.
    d.logger.warn('device smaller than requested after rescan', { volumeId: v.volumeId, bytes: size, requiredBytes });
  }
  const fs = fsTypeOf(v);
  if (v.accessType === 'mount' && fs) {
    if (!(await d.mounter.at(v.stagingPath))) throw grpcError(status.FAILED_PRECONDITION, `volume ${v.volumeId} is not mounted at ${v.stagingPath}`);
    await d.fs.grow(cur.device, fs, v.stagingPath);
  }
  d.logger.info('volume expanded', { volumeId: v.volumeId, bytes: size });
  return size;
}
