// `make tarball ARCH=…` (tools/images/tarball.sh): the RouterOS tarball of mikrotik-kube itself, made
// by our registry and storage-converter from the product image, for both router architectures.
// skopeo reads the right platform from it, its default command is the all-in-one process, and a
// simulated router of that architecture imports it (one of the other architecture refuses it).
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { Simulator } from '@mikrotik-kube/routeros-sim';
import { repoRoot } from '@mikrotik-kube/test-support';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const has = (cmd: string) => run('sh', ['-c', `command -v ${cmd}`]).then(() => true, () => false);
const missing = (await has('skopeo')) && (await has('buildah')) ? '' : 'skopeo and buildah are needed (make deps, as root)';
if (missing) console.warn(`[tarball] SKIPPED: ${missing}`);

const dir = mkdtempSync(join(tmpdir(), 'tarball-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function tarball(arch: string): Promise<{ path: string; stdout: string }> {
  const path = join(dir, `mikrotik-kube-${arch}.tar`);
  const { stdout } = await run('bash', ['tools/images/tarball.sh'], { cwd: repoRoot, env: { ...process.env, ARCH: arch, OUT: path }, maxBuffer: 16 << 20 });
  return { path, stdout };
}

/** Loads the tarball into a simulated router of `arch`; the container's state once the import ended. */
async function importOn(arch: 'arm64' | 'x86', file: string): Promise<string> {
  const sim = new Simulator({ users: { admin: 'pw' }, dataDir: join(dir, `sim-${arch}-${Math.random().toString(36).slice(2)}`), arch });
  const urls = await sim.start();
  const router = new RouterOsClient({ url: urls.rest, username: 'admin', password: 'pw' });
  try {
    copyFileSync(file, join(sim.context.dataDir, 'files', 'mikrotik-kube.tar'));
    await router.veths.add({ name: 'veth-mgmt', addresses: ['172.20.0.2/16'], gateway: '172.20.0.1' });
    await router.containers.add({ name: 'mikrotik-kube', interfaces: ['veth-mgmt'], file: 'mikrotik-kube.tar', rootDir: 'disk1/mikrotik-kube', startOnBoot: true });
    return (await router.containers.waitFor('mikrotik-kube', ['stopped', 'error'], { timeoutMs: 120_000 })).state;
  } finally {
    router.close();
    await sim.stop();
  }
}

describe.skipIf(missing)('make tarball', () => {
  for (const [arch, routerArch, otherArch] of [['amd64', 'x86', 'arm64'], ['arm64', 'arm64', 'x86']] as const) {
    it(`ARCH=${arch}: a docker-archive of linux/${arch} that runs the all-in-one process, which a ${routerArch} router imports`, async () => {
      const { path, stdout } = await tarball(arch);
      expect(stdout).toMatch(new RegExp(`tarball: .*mikrotik-kube-${arch}\\.tar \\(mikrotik-kube [0-9.]+, linux/${arch},`));
      const { stdout: json } = await run('skopeo', ['inspect', '--config', `docker-archive:${path}`]);
      const config = JSON.parse(json) as { os: string; architecture: string; config: { Cmd: string[]; User: string } };
      expect(`${config.os}/${config.architecture}`).toBe(`linux/${arch}`);
      expect(config.config.Cmd).toEqual(['node', '/app/dist/apps/mikrotik-kube/main.js', '--standalone', '--config', '/etc/mikrotik-kube/config.yaml']);
      expect(config.config.User).toBe('1000:1000');
      const { stdout: inspected } = await run('skopeo', ['inspect', `docker-archive:${path}`]);
      expect((JSON.parse(inspected) as { Architecture: string }).Architecture).toBe(arch);
      console.log(`[tarball] ${arch}: ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`);
      expect(await importOn(routerArch, path)).toBe('stopped');
      expect(await importOn(otherArch, path)).toBe('error');
    }, 600_000);
  }

  it('refuses an unknown ARCH with the one-line fix', async () => {
    const err = (await run('bash', ['tools/images/tarball.sh'], { cwd: repoRoot, env: { ...process.env, ARCH: 'mips' } }).catch((e: { code: number; stderr: string }) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr.trim()).toBe("tarball: ARCH must be arm64 or amd64, got 'mips' (make tarball ARCH=arm64)");
  });
});
