// The product image as make images / make cluster-images wrote it (dist/images/<name>-<version>.oci.tar),
// read by real tools: skopeo reads the index and each platform's image, GNU tar unpacks the layers,
// runc runs the amd64 image — its node is the .nvmrc line, every service's bundle loads with the
// image's production dependencies, and the registry service from the image serves a skopeo round
// trip of the image itself (push, pull by digest, identical digests). A second build of the same
// commit must give the same index digest.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ociConfig } from '@mikrotik-kube/routeros-sim';
import { repoRoot, startProcess, waitFor, type ProcessHandle } from '@mikrotik-kube/test-support';
import { createNetns, requireNetns, type Netns } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
const nodeVersion = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim().replace(/^v/, '');
const archive = process.env['IMAGE_ARCHIVE'] ?? join(repoRoot, `dist/images/mikrotik-kube-${pkg.version}.oci.tar`);
const services = existsSync(join(repoRoot, 'dist/apps')) ? readdirSync(join(repoRoot, 'dist/apps')).sort() : [];
const have = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

const skip =
  requireNetns() ??
  (['skopeo', 'runc', 'tar', 'buildah'].filter((c) => !have(c)).join(', ') || undefined)?.replace(/^/, 'missing ') ??
  (existsSync(archive) ? undefined : `no image archive ${archive} (make cluster-images or make images)`);
if (skip) console.warn(`[images] SKIPPED: ${skip}`);

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: opts.timeoutMs ?? 300_000, env: { ...process.env, ...opts.env } });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}`);
  return r.stdout;
}
const json = <T>(cmd: string, args: string[]): T => JSON.parse(sh(cmd, args)) as T;

interface Descriptor { mediaType: string; digest: string; size: number; platform?: { os: string; architecture: string } }
interface Manifest { config: Descriptor; layers: Descriptor[] }
interface ImageConfig { architecture: string; os: string; created: string; config: { User?: string; Labels?: Record<string, string>; Env?: string[]; WorkingDir?: string; Cmd?: string[] } }
interface Unpacked { arch: string; manifest: Manifest; config: ImageConfig; rootfs: string }

/** An ELF file's e_machine: 62 x86-64, 183 AArch64. */
function elfMachine(path: string): number {
  const b = readFileSync(path).subarray(0, 20);
  expect(b.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
  return b.readUInt16LE(18);
}

/** Every path under dir, relative, sorted (symlinks not followed). */
function tree(dir: string, under = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(dir, under), { withFileTypes: true })) {
    const rel = under ? `${under}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...tree(dir, rel));
  }
  return out.sort();
}

describe.skipIf(!!skip)(`the product image ${archive.replace(`${repoRoot}/`, '')} ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let index: { manifests: Descriptor[] };
  const images = new Map<string, Unpacked>();

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mk-image-test-'));
    index = json('skopeo', ['inspect', '--raw', `oci-archive:${archive}`]);
    for (const m of index.manifests) {
      const arch = m.platform?.architecture ?? '?';
      const layout = join(dir, arch);
      sh('skopeo', ['copy', '--quiet', '--override-os', 'linux', '--override-arch', arch, `oci-archive:${archive}`, `oci:${layout}:image`]);
      const blob = (d: string) => join(layout, 'blobs', ...d.split(':'));
      const manifest = JSON.parse(readFileSync(blob(m.digest), 'utf8')) as Manifest;
      const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8')) as ImageConfig;
      const rootfs = join(dir, `${arch}-rootfs`);
      mkdirSync(rootfs);
      for (const l of manifest.layers) {
        // Nothing in the recipe deletes files, so a whiteout would mean a layer the recipe did not ask for.
        const names = sh('tar', ['-tzf', blob(l.digest)]);
        expect(names.split('\n').filter((n) => /(^|\/)\.wh\./.test(n)), `whiteouts in ${l.digest}`).toEqual([]);
        sh('tar', ['-xzf', blob(l.digest), '-C', rootfs, '--same-owner', '--numeric-owner', '-p']);
      }
      images.set(arch, { arch, manifest, config, rootfs });
    }
  }, 600_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is one index for linux/amd64 and linux/arm64 (PLATFORMS of the build), each image readable, its labels and user set', () => {
    const plats = index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).sort();
    const wanted = (process.env['IMAGE_PLATFORMS'] ?? 'linux/amd64,linux/arm64').split(',').sort();
    expect(plats).toEqual(wanted);
    const epoch = sh('git', ['-C', repoRoot, 'log', '-1', '--format=%ct']).trim();
    for (const img of images.values()) {
      const inspected = json<{ Architecture: string; Os: string; Labels: Record<string, string> }>('skopeo', ['inspect', '--override-arch', img.arch, `oci-archive:${archive}`]);
      expect(inspected).toMatchObject({ Architecture: img.arch, Os: 'linux' });
      expect(img.config.config.User).toBe('1000:1000');
      expect(img.config.config.WorkingDir).toBe('/app');
      expect(img.config.config.Env).toContain('NODE_ENV=production');
      expect(img.config.config.Labels).toMatchObject({
        'org.opencontainers.image.title': 'mikrotik-kube',
        'org.opencontainers.image.version': pkg.version,
        'org.opencontainers.image.source': 'https://github.com/mikrotik-kube/mikrotik-kube',
      });
      expect(img.config.config.Labels?.['org.opencontainers.image.revision']).toMatch(/^[0-9a-f]{40}$/);
      // Created from SOURCE_DATE_EPOCH (the last commit), not the clock.
      expect(Date.parse(img.config.created) / 1000).toBe(Number(epoch));
      const compressed = img.manifest.layers.reduce((n, l) => n + l.size, 0);
      const unpacked = Number(sh('du', ['-sb', img.rootfs]).split('\t')[0]);
      console.log(`[images] linux/${img.arch}: ${(compressed / 1e6).toFixed(1)} MB compressed in ${img.manifest.layers.length} layers, ${(unpacked / 1e6).toFixed(1)} MB unpacked`);
    }
  });

  it("holds every service's bundle, production dependencies only, a node for its architecture and csi-node's tools", () => {
    const machine: Record<string, number> = { amd64: 62, arm64: 183 };
    const trees = new Map<string, string[]>();
    for (const img of images.values()) {
      const r = img.rootfs;
      expect(elfMachine(join(r, 'usr/local/bin/node')), `node of ${img.arch}`).toBe(machine[img.arch]);
      expect(readdirSync(join(r, 'app/dist/apps')).sort()).toEqual(services);
      for (const s of services) expect(existsSync(join(r, 'app/dist/apps', s, 'main.js')), s).toBe(true);
      const app = tree(join(r, 'app'));
      expect(app.filter((p) => p.endsWith('.map'))).toEqual([]);
      // The lockfile marks what only development needs (dev: true): none of it may ship.
      const dev = Object.entries(lock.packages).filter(([p, e]) => e.dev && p.startsWith('node_modules/') && existsSync(join(r, 'app', p)));
      expect(dev.map(([p]) => p), 'development packages in the image').toEqual([]);
      expect(existsSync(join(r, 'app/node_modules/@grpc/grpc-js/package.json')), 'a production package').toBe(true);
      for (const tool of ['nvme', 'mkfs.ext4', 'mkfs.xfs', 'resize2fs', 'xfs_growfs', 'blkid', 'mount', 'umount']) {
        expect(existsSync(join(r, 'usr/sbin', tool)) || existsSync(join(r, 'usr/bin', tool)), `${tool} in ${img.arch}`).toBe(true);
      }
      expect(readFileSync(join(r, 'etc/passwd'), 'utf8')).toMatch(/^mkube:x:1000:1000:/m);
      trees.set(img.arch, app);
    }
    // The same /app on every platform: the bundles are built once; only per-platform packages differ.
    const [a, b] = [...trees.values()];
    if (a && b) {
      const perPlatform = (p: string) => /(x64|amd64|arm64|aarch64)/.test(p);
      expect(a.filter((p) => !perPlatform(p))).toEqual(b.filter((p) => !perPlatform(p)));
    }
  });

  describe('the amd64 image under runc', () => {
    let netns: Netns;
    let runDir: string;
    let registry: ProcessHandle | undefined;
    const runcRoot = () => join(runDir, 'runc');
    const rootfs = () => images.get('amd64')?.rootfs ?? '';

    /** A bundle for one process of the image, in our namespace, as the image's user. */
    function bundle(id: string, args: string[], mounts: Array<{ source: string; destination: string }> = []): string {
      const b = join(runDir, id);
      mkdirSync(b, { recursive: true });
      const img = images.get('amd64') as Unpacked;
      const spec = ociConfig({
        rootPath: rootfs(),
        args,
        env: img.config.config.Env ?? [],
        cwd: img.config.config.WorkingDir ?? '/',
        uid: 1000,
        gid: 1000,
        hostname: id,
        mounts: mounts.map((m) => ({ ...m, readOnly: false, noExec: true })),
        netnsPath: `/run/netns/${netns.name}`,
        cgroupsPath: `/mk-image-test-${process.pid}/${id}`,
      }) as { root: { readonly: boolean }; mounts: unknown[] };
      spec.root.readonly = true;
      spec.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'mode=1777'] });
      writeFileSync(join(b, 'config.json'), JSON.stringify(spec));
      return b;
    }
    const run = (id: string, args: string[]) =>
      spawnSync('runc', ['--root', runcRoot(), 'run', '--bundle', bundle(id, args), id], { encoding: 'utf8', timeout: 60_000 });

    beforeAll(() => {
      if (!images.has('amd64')) throw new Error('the index has no amd64 image');
      netns = createNetns('image');
      runDir = mkdtempSync(join(tmpdir(), 'mk-image-run-'));
    });
    afterAll(async () => {
      await registry?.stop('SIGTERM', 20_000);
      if (runDir) spawnSync('sh', ['-c', `for c in $(runc --root ${runcRoot()} list -q 2>/dev/null); do runc --root ${runcRoot()} delete --force $c; done`]);
      // runc removes each container's cgroup; the parent it made under every hierarchy is ours.
      for (const line of readFileSync('/proc/self/mounts', 'utf8').split('\n')) {
        const [, mp, fs] = line.split(' ');
        if (fs === 'cgroup' || fs === 'cgroup2') spawnSync('rmdir', [`${mp}/mk-image-test-${process.pid}`]);
      }
      netns?.remove();
      if (runDir) rmSync(runDir, { recursive: true, force: true });
    });

    it('runs its own node, the .nvmrc line, as uid 1000', () => {
      const r = run('node', ['node', '-p', 'process.version + " " + process.getuid() + ":" + process.getgid() + " " + process.arch']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe(`v${nodeVersion} 1000:1000 x64`);
    });

    it.each(services)("loads %s's bundle with the image's dependencies (a config error, not a missing module)", (service) => {
      const r = run(`load-${service}`, ['node', `/app/dist/apps/${service}/main.js`, '--config', '/nonexistent.yaml']);
      // createService exits 2 on a config error, after every static import of the bundle resolved.
      expect(r.stderr).not.toMatch(/ERR_MODULE_NOT_FOUND|Cannot find (module|package)/);
      expect(r.stderr).toContain(`${service}:`);
      expect(r.status, r.stderr).toBe(2);
    });

    it('serves a skopeo round trip of itself from the registry service in the image: pushed and pulled by digest, digests identical', async () => {
      const data = join(runDir, 'registry-data');
      mkdirSync(data);
      chownSync(data, 1000, 1000);
      const b = bundle('registry', ['node', '/app/dist/apps/registry/main.js', '--listen', '127.0.0.1:5000', '--storage-dir', '/data', '--http.host', '127.0.0.1', '--http.port', '9090'], [{ source: data, destination: '/data' }]);
      registry = startProcess('runc', ['--root', runcRoot(), 'run', '--bundle', b, 'registry']);
      await waitFor(() => {
        if (registry?.child.exitCode !== null) throw new Error(`registry exited:\n${registry?.output()}`);
        return netns.run('curl', ['-fsS', '--max-time', '2', 'http://127.0.0.1:9090/readyz']).code === 0;
      }, 60_000, 300);
      const want = sh('bash', ['-c', `skopeo manifest-digest <(skopeo inspect --raw oci-archive:${archive})`]).trim().replace(/^sha256:/, '');
      const ref = `127.0.0.1:5000/mikrotik-kube/mikrotik-kube:${pkg.version}`;
      const push = netns.run('bash', [join(repoRoot, 'tools/images/push.sh'), archive, ref], { env: { ...process.env, PUSH_TLS_VERIFY: 'false' }, timeoutMs: 300_000 });
      expect(push.code, push.stderr).toBe(0);
      expect(push.stdout).toContain(`@sha256:${want}`);
      const pulled = join(runDir, 'pulled');
      const copy = netns.run('skopeo', ['copy', '--quiet', '--all', '--src-tls-verify=false', `docker://127.0.0.1:5000/mikrotik-kube/mikrotik-kube@sha256:${want}`, `oci:${pulled}:image`], { timeoutMs: 300_000 });
      expect(copy.code, copy.stderr).toBe(0);
      const got = JSON.parse(readFileSync(join(pulled, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
      expect(got.manifests[0]?.digest).toBe(`sha256:${want}`);
      const pulledIndex = JSON.parse(readFileSync(join(pulled, 'blobs/sha256', want as string), 'utf8')) as { manifests: Descriptor[] };
      expect(pulledIndex.manifests.map((m) => m.digest)).toEqual(index.manifests.map((m) => m.digest));
    }, 600_000);
  });

  it.each([
    ['an unknown platform', ['tools/images/build.sh'], { PLATFORMS: 'linux/s390x' }, "images: unknown platform 'linux/s390x' (known: linux/amd64, linux/arm64)"],
    ['an unknown builder', ['tools/images/build.sh'], { BUILDER: 'kaniko' }, "images: unknown BUILDER 'kaniko' (buildah or docker)"],
    ['a base for an unknown architecture', ['tools/images/base.sh', 'riscv64'], {}, "images: base.sh: unknown architecture 'riscv64' (known: amd64, arm64)"],
    ['a missing archive', ['tools/images/push.sh', '/nonexistent.oci.tar', '127.0.0.1:1/x:1'], {}, 'images: no image archive at /nonexistent.oci.tar (run make images)'],
  ])('stops on %s with one line naming it', (_what, args, env, line) => {
    const r = spawnSync('bash', args.map((a, i) => (i === 0 ? join(repoRoot, a) : a)), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(line);
  });

  it('stops when the registry refuses the push, with its reason, and exit 1', () => {
    // Nothing listens on this port inside a namespace of our own: connection refused.
    const ns = createNetns('imagepush');
    try {
      const r = ns.run('bash', [join(repoRoot, 'tools/images/push.sh'), archive, '127.0.0.1:1/mikrotik-kube:0'], { env: { ...process.env, PUSH_TLS_VERIFY: 'false' } });
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split('\n').at(-1)).toMatch(/^images: push to 127\.0\.0\.1:1\/mikrotik-kube:0 refused: .*connection refused/);
    } finally {
      ns.remove();
    }
  });

  it('builds the same index digest a second time', () => {
    const out = join(dir, 'again.oci.tar');
    const plats = index.manifests.map((m) => `${m.platform?.os}/${m.platform?.architecture}`).join(',');
    const t0 = Date.now();
    sh('bash', [join(repoRoot, 'tools/images/build.sh')], { env: { OUT: out, PLATFORMS: plats }, timeoutMs: 900_000 });
    console.log(`[images] second build (${plats}, warm base and deps) took ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    const again = json<{ manifests: Descriptor[] }>('skopeo', ['inspect', '--raw', `oci-archive:${out}`]);
    for (const [i, m] of index.manifests.entries()) {
      const n = again.manifests[i];
      if (n?.digest === m.digest) continue;
      // Name the first layer that differs, for the message.
      const layersOf = (a: string) => json<{ Layers: string[] }>('skopeo', ['inspect', '--override-arch', m.platform?.architecture ?? '', `oci-archive:${a}`]).Layers;
      const [x, y] = [layersOf(archive), layersOf(out)];
      const at = x.findIndex((d, k) => d !== y[k]);
      throw new Error(`linux/${m.platform?.architecture} differs: ${at >= 0 ? `layer ${at} (${x[at]} vs ${y[at]})` : 'config only (labels or created)'}`);
    }
    expect(again.manifests.map((m) => m.digest)).toEqual(index.manifests.map((m) => m.digest));
  }, 900_000);
});
