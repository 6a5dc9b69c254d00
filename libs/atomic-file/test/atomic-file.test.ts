import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonStateFile, readJson, readJsonSync, writeFileAtomic, writeJsonAtomic, writeJsonAtomicSync } from '../src';

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

describe('JsonStateFile', () => {
  const schema = { required: ['items'], properties: { items: { type: 'array', items: { type: 'string' } } } };

  it('saves { version, ...fields } and loads the fields back, sync and async; no file is undefined', async () => {
    const p = join(dir(), 'state.json');
    const f = new JsonStateFile<{ items: string[] }>(p, { version: 3, schema });
    expect(f.load()).toBeUndefined();
    expect(await f.loadAsync()).toBeUndefined();
    f.save({ items: ['a'] });
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ version: 3, items: ['a'] });
    expect(f.load()).toEqual({ items: ['a'] });
    await f.saveAsync({ items: ['a', 'b'] });
    expect(await f.loadAsync()).toEqual({ items: ['a', 'b'] });
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('refuses another version, a document that does not match and torn JSON, naming the file', async () => {
    const d = dir();
    const file = (name: string, text: string) => {
      writeFileSync(join(d, name), text);
      return new JsonStateFile(join(d, name), { version: 1, schema });
    };
    expect(() => file('v2.json', '{"version":2,"items":[]}').load()).toThrow(/v2\.json: unknown state version 2 \(this build reads 1\)/);
    expect(() => file('bad.json', '{"version":1,"items":[1]}').load()).toThrow(/bad\.json is invalid: \/items\/0 must be string/);
    expect(() => file('none.json', '{"version":1}').load()).toThrow(/none\.json is invalid: \/ must have required property 'items'/);
    await expect(file('torn.json', '{"version":1,"it').loadAsync()).rejects.toThrow(/torn\.json is not valid JSON/);
  });
});
