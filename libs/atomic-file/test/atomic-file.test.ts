import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJson, readJsonSync, writeFileAtomic, writeJsonAtomic, writeJsonAtomicSync } from '../src';

const dir = () => mkdtempSync(join(tmpdir(), 'atomic-'));

describe('atomic files', () => {
  it('writes, replaces and reads back, creating the directory, leaving no temp file', async () => {
    const d = dir();
    const p = join(d, 'sub', 'state.json');
    writeJsonAtomicSync(p, { a: 1 });
    expect(readJsonSync(p)).toEqual({ a: 1 });
    await writeJsonAtomic(p, { a: 2 });
    expect(await readJson(p)).toEqual({ a: 2 });
    expect(readdirSync(join(d, 'sub'))).toEqual(['state.json']);
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('reports a missing file as undefined and a corrupt one as an error', async () => {
    const d = dir();
    expect(readJsonSync(join(d, 'none.json'))).toBeUndefined();
    expect(await readJson(join(d, 'none.json'))).toBeUndefined();
    writeFileSync(join(d, 'bad.json'), '{"a":');
    expect(() => readJsonSync(join(d, 'bad.json'))).toThrow(SyntaxError);
  });

  it('keeps the old content and cleans up when the write fails', async () => {
    const d = dir();
    const p = join(d, 'state.json');
    await writeFileAtomic(p, 'old');
    // A directory where the target should be makes the rename fail.
    const target = join(d, 'is-a-dir');
    await writeFileAtomic(join(target, 'x'), 'x');
    await expect(writeFileAtomic(target, 'new')).rejects.toThrow();
    expect(readFileSync(p, 'utf8')).toBe('old');
    expect(readdirSync(d).sort()).toEqual(['is-a-dir', 'state.json']);
  });
});
