// Block device identity: the kernel names a device by major:minor; node paths under /dev are
// only names. Comparing major:minor tells whether a path really is the device sysfs means.
import { stat } from 'node:fs/promises';

export function majMinOf(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/** `major:minor` of a block device node, or undefined if the path is not a block device. */
export async function blockMajMin(path: string): Promise<string | undefined> {
  try {
    const st = await stat(path, { bigint: true });
    return st.isBlockDevice() ? majMinOf(st.rdev) : undefined;
  } catch {
    return undefined;
  }
}
