// What runs the tests is what ships: the Node.js pinned in .nvmrc (the image uses the same).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const pinned = readFileSync('.nvmrc', 'utf8').trim();

describe('the pinned Node.js runtime', () => {
  it('runs this test suite', () => {
    expect(process.version).toBe(`v${pinned}`);
  });

  it('is what package.json engines names', () => {
    expect(JSON.parse(readFileSync('package.json', 'utf8')).engines.node).toBe(pinned);
  });

  it('is the node and npm first on PATH, so child processes run on it too', () => {
    expect(execFileSync('node', ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${pinned}`);
    const npm = /^NPM_VERSION=(\S+)$/m.exec(readFileSync('tools/setup/node.sh', 'utf8'))?.[1];
    expect(execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()).toBe(npm);
  });
});
