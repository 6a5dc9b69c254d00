// Small filesystem helpers for crash safety: every file that matters is written to
// a temp name, fsynced, renamed into place and its directory fsynced.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Names writeFileAtomic gives files before their rename; only a crash leaves them behind. */
const TEMP_PREFIX = '.tmp-';

/**
 * Removes the temp files writeFileAtomic left under `dirs` when the process died,
 * if untouched since `before` (ms epoch: a live writer renames its file within
 * milliseconds); returns how many.
 */
export async function removeTempFiles(dirs: string[], before: number): Promise<number> {
  let removed = 0;
  for (const dir of dirs) {
    let entries: string[];
    try {
      entries = await readdir(dir, { recursive: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const rel of entries) {
      if (!basename(rel).startsWith(TEMP_PREFIX) || !(await untouchedSince(join(dir, rel), before))) continue;
      await rm(join(dir, rel), { force: true });
      removed++;
    }
  }
  return removed;
}

/** Whether `path` exists and was last modified before `before`. */
export async function untouchedSince(path: string, before: number): Promise<boolean> {
  try {
    return (await stat(path)).mtimeMs < before;
  } catch {
    return false;
  }
}

export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${TEMP_PREFIX}${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await fsyncDir(dir);
}

/** Renames a finished file into place (the destination dir is created) and makes it durable. */
export async function commitFile(tmp: string, dest: string): Promise<void> {
  await fsyncFile(tmp);
  const dir = dirname(dest);
  await mkdir(dir, { recursive: true });
  await rename(tmp, dest);
  await fsyncDir(dir);
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
}

/** readdir that treats a missing directory as empty. */
export async function listDir(path: string): Promise<string[]> {
  try {
    return await readdir(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}
