// The convert CLI as a real process against our registry: a docker-archive skopeo accepts,
// plain progress lines when not on a terminal, clear errors and exit codes otherwise.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTsProcess } from '@mikrotik-kube/test-support';
import { Rig, skopeo } from './harness';
import { pushImage } from './images';

async function convert(...args: string[]): Promise<{ code: number | null; output: string }> {
  const p = startTsProcess('apps/storage-converter/src/cli.ts', { args });
  const { code } = await p.exited;
  return { code, output: p.output() };
}

describe('convert CLI', () => {
  const rig = new Rig();
  beforeAll(async () => {
    await rig.startRegistry();
    await pushImage(rig.registry.client, 'cli/app', '2', { platforms: [{ architecture: 'arm64' }, { architecture: 'amd64' }], layers: ['zstd', 'gzip'] });
  }, 120_000);
  afterAll(() => rig.stop());

  it('writes a docker-archive for the requested architecture', async () => {
    const out = join(rig.dir, 'out.tar');
    const r = await convert(`${rig.registry.host}/cli/app:2`, '--arch', 'x86', '-o', out);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toMatch(/^pull: \d+%/m);
    expect(r.output).toMatch(/^convert: 100%/m);
    const inspect = JSON.parse(await skopeo('inspect', `docker-archive:${out}`)) as { Architecture: string; RepoTags: string[] };
    expect(inspect.Architecture).toBe('amd64');
  }, 60_000);

  it('fails clearly for a missing platform and for bad arguments, writing nothing', async () => {
    const out = join(rig.dir, 'none.tar');
    const wrong = await convert(`${rig.registry.host}/cli/app:2`, '--arch', 'arm', '-o', out);
    expect(wrong.code).toBe(1);
    expect(wrong.output).toMatch(/precondition: .*linux\/arm\/v7.*available: linux\/arm64, linux\/amd64/);
    const bad = await convert(`${rig.registry.host}/cli/app:2`, '--arch', 'sparc', '-o', out);
    expect(bad.code).toBe(2);
    expect(bad.output).toContain('is not one of arm64, arm, x86');
    expect((await convert('--arch', 'arm64')).code).toBe(2);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
