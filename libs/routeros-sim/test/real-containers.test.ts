// Containers that really run (runc): what the image and the /container row say arrives in the
// process; layers unpack like on the router (whiteouts, links, modes, owners) and never outside
// root-dir; exits, stops and reboots behave like RouterOS; nothing is left on the host.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxImage, busyboxUnavailable, dockerArchive, type Simulator } from '../src/index';
import { realRuntimeUnavailable } from '../src/containers/real/runc-engine';
import { cgroupDirs } from '../src/containers/real/instance';
import { startSim, waitFor, type Caller } from './helpers';

type Obj = Record<string, string>;
const skip = busyboxUnavailable() ?? realRuntimeUnavailable();
const ARCH = process.arch === 'arm64' ? 'arm64' : 'x86';
const OCI_ARCH = ARCH === 'x86' ? 'amd64' : 'arm64';

function put(sim: Simulator, name: string, data: Buffer): void {
  const p = sim.context.files.resolve(name);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, data);
}

const REPORT = `#!/bin/sh
out=/data/report
: > $out
for a in "$0" "$@"; do echo "arg=$a" >> $out; done
env | sort | sed 's/^/env=/' >> $out
echo "cwd=$(pwd)" >> $out
echo "uid=$(id -u) gid=$(id -g)" >> $out
echo "hostname=$(hostname)" >> $out
echo "resolv=$(cat /etc/resolv.conf | tr '\\n' ';')" >> $out
echo "hello on stdout"
echo "hello on stderr" >&2
`;

async function status(call: Caller, name: string): Promise<Obj> {
  return (await call('GET', `/container/${name}`)).body as Obj;
}

const until = (call: Caller, name: string, flag: string, ms = 30_000) => waitFor(async () => ((await status(call, name))[flag] === 'true' ? true : undefined), ms);

async function logLines(call: Caller): Promise<string[]> {
  return ((await call('GET', '/log')).body as Obj[]).map((l) => l['message'] as string);
}

describe.skipIf(!!skip)(`real containers (runc)${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let sim: Simulator;
  let call: Caller;
  let dataDir: string;
  beforeAll(async () => {
    ({ sim, call, dataDir } = await startSim({ version: '7.21', arch: ARCH, containers: 'real' }));
    put(sim, 'disk1/images/report.tar', await dockerArchive(busyboxImage({ architecture: OCI_ARCH, cmd: ['/bin/sh', '-c', 'exit 9'], env: ['FROM_IMAGE=yes', 'OVERRIDDEN=image'], extra: [[{ name: 'app/report.sh', data: REPORT, mode: 0o755 }, { name: 'data', type: 'directory', uid: 1000, gid: 1000 }]] })));
    put(sim, 'disk1/images/busybox.tar', await dockerArchive(busyboxImage({ architecture: OCI_ARCH, cmd: ['/bin/sh', '-c', 'echo bye; exit 3'] })));
    await call('PUT', '/interface/veth', { name: 'veth1', address: '10.231.0.2/24', gateway: '10.231.0.1' });
  }, 60_000);
  afterAll(() => sim?.stop());

  it('says it runs containers for real', () => {
    expect(sim.containerMode).toEqual({ mode: 'real' });
  });

  it('argv, env, workdir, user, hostname, DNS and a mount arrive in the process as the row says', async () => {
    await call('PUT', '/container/envs', { list: 'rep', key: 'GREETING', value: 'hello world' });
    await call('PUT', '/container/envs', { list: 'rep', key: 'OVERRIDDEN', value: 'row' });
    await call('PUT', '/container/mounts', { list: 'rep', src: 'disk1/vol/report', dst: '/data' });
    const add = await call('PUT', '/container', {
      name: 'report',
      file: 'disk1/images/report.tar',
      interface: 'veth1',
      'root-dir': 'disk1/root/report',
      entrypoint: '/app/report.sh',
      cmd: `'one arg' two "three \\"q\\""`,
      envlists: 'rep',
      mountlists: 'rep',
      workdir: '/work/dir',
      user: '1000:50',
      hostname: 'report-host',
      dns: '10.231.0.53',
      logging: 'yes',
    });
    expect(add.status).toBe(201);
    await until(call, 'report', 'stopped');
    expect((await call('POST', '/container/start', { '.id': 'report' })).body).toEqual([]);
    await waitFor(async () => (existsSync(join(dataDir, 'files/disk1/vol/report/report')) && (await status(call, 'report'))['stopped'] === 'true' ? true : undefined), 30_000);
    const lines = readFileSync(join(dataDir, 'files/disk1/vol/report/report'), 'utf8').trim().split('\n');
    expect(lines.filter((l) => l.startsWith('arg='))).toEqual(['arg=/app/report.sh', 'arg=one arg', 'arg=two', 'arg=three "q"']);
    const env = lines.filter((l) => l.startsWith('env=')).map((l) => l.slice(4));
    expect(env).toEqual(expect.arrayContaining(['GREETING=hello world', 'OVERRIDDEN=row', 'FROM_IMAGE=yes', expect.stringMatching(/^PATH=/)]));
    expect(lines).toContain('cwd=/work/dir');
    expect(lines).toContain('uid=1000 gid=50');
    expect(lines).toContain('hostname=report-host');
    expect(lines).toContain('resolv=nameserver 10.231.0.53;');
    const log = await logLines(call);
    expect(log).toEqual(expect.arrayContaining(['hello on stdout', 'hello on stderr']));
    const clog = ((await call('GET', '/container/log')).body as Obj[]).filter((l) => l['container'] === 'report').map((l) => l['message']);
    expect(clog).toEqual(expect.arrayContaining(['hello on stdout', 'hello on stderr']));
    expect(log.some((l) => /report: \*\*\* error/.test(l))).toBe(false);
  });

  it('a non-zero exit stops the container with RouterOS\'s log line', async () => {
    await call('PUT', '/container', { name: 'crash', file: 'disk1/images/busybox.tar', interface: 'veth1', 'root-dir': 'disk1/root/crash', logging: 'yes' });
    await until(call, 'crash', 'stopped');
    await call('POST', '/container/start', { '.id': 'crash' });
    await waitFor(async () => ((await logLines(call)).includes('crash: *** error: exited with status 3') ? true : undefined), 30_000);
    expect(await status(call, 'crash')).toMatchObject({ stopped: 'true', running: 'false' });
    expect(await logLines(call)).toContain('bye');
  });

  it('stop sends the stop signal, then SIGKILL after stop-time; nothing of the container is left', async () => {
    await call('PUT', '/container', { name: 'stubborn', file: 'disk1/images/busybox.tar', interface: 'veth1', 'root-dir': 'disk1/root/stubborn', entrypoint: '/bin/sh', cmd: `-c 'trap "" TERM; echo up; while :; do sleep 1; done'`, 'stop-time': '1s', logging: 'yes' });
    await until(call, 'stubborn', 'stopped');
    await call('POST', '/container/start', { '.id': 'stubborn' });
    await waitFor(async () => ((await logLines(call)).includes('up') ? true : undefined), 30_000);
    const engine = sim.context.containers as unknown as { engine: { runc: { list(): Promise<string[]> }; instance: { id: string } } };
    expect((await engine.engine.runc.list()).length).toBe(1);
    await call('POST', '/container/stop', { '.id': 'stubborn' });
    expect(await status(call, 'stubborn')).toMatchObject({ stopping: 'true' });
    await until(call, 'stubborn', 'stopped');
    expect(await engine.engine.runc.list()).toEqual([]);
    expect(cgroupDirs(engine.engine.instance.id).filter((d) => !d.endsWith(`routeros-sim-${engine.engine.instance.id}`))).toEqual([]);
    expect((await logLines(call)).some((l) => l.startsWith('stubborn: *** error'))).toBe(false);
    // remove deletes root-dir
    expect(existsSync(join(dataDir, 'files/disk1/root/stubborn/bin/busybox'))).toBe(true);
    expect((await call('DELETE', '/container/stubborn')).status).toBe(204);
    expect(existsSync(join(dataDir, 'files/disk1/root/stubborn'))).toBe(false);
  });

  it('a start without any command is refused with RouterOS\'s message', async () => {
    put(sim, 'disk1/images/nocmd.tar', await dockerArchive(busyboxImage({ architecture: OCI_ARCH, cmd: [] })));
    await call('PUT', '/container', { name: 'nocmd', file: 'disk1/images/nocmd.tar', interface: 'veth1', 'root-dir': 'disk1/root/nocmd' });
    await until(call, 'nocmd', 'stopped');
    expect((await call('POST', '/container/start', { '.id': 'nocmd' })).body).toMatchObject({ detail: 'failure: start failed: no command specified, set cmd or entrypoint' });
  });

  it('a missing executable: start failed in the log, container stopped', async () => {
    await call('PUT', '/container', { name: 'noexe', file: 'disk1/images/busybox.tar', interface: 'veth1', 'root-dir': 'disk1/root/noexe', entrypoint: '/bin/nothing-here' });
    await until(call, 'noexe', 'stopped');
    await call('POST', '/container/start', { '.id': 'noexe' });
    await waitFor(async () => ((await logLines(call)).some((l) => l.startsWith('noexe: *** error: start failed:')) ? true : undefined), 30_000);
    expect(await status(call, 'noexe')).toMatchObject({ stopped: 'true' });
  });
});

describe.skipIf(!!skip)(`layer extraction into root-dir${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let sim: Simulator;
  let call: Caller;
  let dataDir: string;
  beforeAll(async () => {
    ({ sim, call, dataDir } = await startSim({ version: '7.21', arch: ARCH, containers: 'real' }));
    await call('PUT', '/interface/veth', { name: 'veth1', address: '10.231.1.2/24', gateway: '10.231.1.1' });
  }, 60_000);
  afterAll(() => sim?.stop());

  /** Every path under root with type, mode, owner (and link target), for comparison. */
  function tree(root: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
      for (const n of readdirSync(join(root, rel)).sort()) {
        const p = rel ? `${rel}/${n}` : n;
        const st = lstatSync(join(root, p));
        const kind = st.isSymbolicLink() ? `link->${readlinkSync(join(root, p))}` : st.isDirectory() ? 'dir' : 'file';
        out[p] = `${kind} ${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
        if (st.isDirectory()) walk(p);
      }
    };
    walk('');
    return out;
  }

  async function addImage(name: string, layers: Parameters<typeof busyboxImage>[0]['extra'], arch = OCI_ARCH): Promise<Obj> {
    put(sim, `disk1/images/${name}.tar`, await dockerArchive({ architecture: arch, cmd: ['/x'], layers }));
    await call('PUT', '/container', { name, file: `disk1/images/${name}.tar`, interface: 'veth1', 'root-dir': `disk1/root/${name}` });
    return waitFor(async () => {
      const s = await status(call, name);
      return s['extracting'] === 'true' ? undefined : s;
    }, 30_000);
  }

  it('applies layers in order: whiteouts, opaque dirs, symlinks, hard links, modes, owners', async () => {
    const s = await addImage('layers', [
      [
        { name: 'etc', type: 'directory' },
        { name: 'etc/config', data: 'v1' },
        { name: 'dir', type: 'directory' },
        { name: 'dir/gone', data: 'x' },
        { name: 'dir/kept', data: 'x' },
        { name: 'opq', type: 'directory' },
        { name: 'opq/old1', data: 'x' },
        { name: 'opq/sub', type: 'directory' },
        { name: 'opq/sub/old2', data: 'x' },
        { name: 'tree', type: 'directory' },
        { name: 'tree/deep/file', data: 'x' },
      ],
      [
        { name: 'etc/config', data: 'v2', mode: 0o600, uid: 1000, gid: 1000 },
        { name: 'dir/.wh.gone' },
        { name: '.wh.tree' },
        { name: 'opq', type: 'directory', mode: 0o750 },
        { name: 'opq/.wh..wh..opq' },
        { name: 'opq/new', data: 'new' },
        { name: 'bin', type: 'directory' },
        { name: 'bin/tool', data: '#!/bin/sh\n', mode: 0o4755 },
        { name: 'bin/tool-link', type: 'link', linkname: 'bin/tool' },
        { name: 'lib', type: 'symlink', linkname: 'usr/lib' },
        { name: 'usr/lib/libx.so', data: 'elf' },
      ],
      [{ name: 'lib/liby.so', data: 'through the symlink' }],
    ]);
    expect(s['stopped']).toBe('true');
    const root = join(dataDir, 'files/disk1/root/layers');
    expect(tree(root)).toEqual({
      bin: 'dir 755 0:0',
      'bin/tool': 'file 4755 0:0',
      'bin/tool-link': 'file 4755 0:0',
      dir: 'dir 755 0:0',
      'dir/kept': 'file 644 0:0',
      etc: 'dir 755 0:0',
      'etc/config': 'file 600 1000:1000',
      lib: 'link->usr/lib 777 0:0',
      opq: 'dir 750 0:0',
      'opq/new': 'file 644 0:0',
      usr: 'dir 755 0:0',
      'usr/lib': 'dir 755 0:0',
      'usr/lib/libx.so': 'file 644 0:0',
      'usr/lib/liby.so': 'file 644 0:0',
    });
    expect(readFileSync(join(root, 'etc/config'), 'utf8')).toBe('v2');
    expect(statSync(join(root, 'bin/tool')).ino).toBe(statSync(join(root, 'bin/tool-link')).ino);
  });

  const sentinel = () => join(dataDir, 'files/disk1/escaped');

  it.each([
    ['dotdot', [[{ name: '../../escaped', data: 'x' }]]],
    ['absolute', [[{ name: '/escaped', data: 'x' }]]],
    ['inner-dotdot', [[{ name: 'a/../../escaped', data: 'x' }]]],
    ['symlink-escape', [[{ name: 'up', type: 'symlink', linkname: '../..' }], [{ name: 'up/escaped', data: 'x' }]]],
    ['hardlink-escape', [[{ name: 'h', type: 'link', linkname: '../../escaped' }]]],
  ] as const)('a path-escaping layer (%s) fails the import and writes nothing outside root-dir', async (name, layers) => {
    const s = await addImage(name, layers as never);
    expect(s).toMatchObject({ stopped: 'false', running: 'false', extracting: 'false' });
    const log = await logLines(call);
    expect(log).toContain(`was unable to import, container ${name}`);
    expect(log.some((l) => l.startsWith('error: failed to extract layer'))).toBe(true);
    expect(existsSync(sentinel())).toBe(false);
    expect(existsSync(join(dataDir, 'escaped'))).toBe(false);
  });

  it('not a docker-save archive, or the wrong architecture: import fails with RouterOS\'s message', async () => {
    put(sim, 'disk1/images/junk.tar', Buffer.from('this is not a tar archive at all'.repeat(40)));
    await call('PUT', '/container', { name: 'junk', file: 'disk1/images/junk.tar', interface: 'veth1' });
    await waitFor(async () => ((await logLines(call)).includes('was unable to import, container junk') ? true : undefined));
    expect(await logLines(call)).toContain('error: could not find image manifest in archive');
    const s = await addImage('wrongarch', [[{ name: 'x', data: 'x' }]], OCI_ARCH === 'amd64' ? 'arm64' : 'amd64');
    expect(s['stopped']).toBe('false');
    expect((await logLines(call)).some((l) => /^error: image architecture .* does not match/.test(l))).toBe(true);
  });
});

describe.skipIf(!!skip)(`reboot and cleanup${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('a restart is a reboot (start-on-boot containers run again); stop leaves no process, cgroup, runc state', async () => {
    const first = await startSim({ version: '7.23', arch: ARCH, containers: 'real' });
    put(first.sim, 'disk1/images/bb.tar', await dockerArchive(busyboxImage({ architecture: OCI_ARCH, cmd: ['/bin/sh', '-c', 'echo booted; exec sleep 1000'] })));
    await first.call('PUT', '/interface/veth', { name: 'veth1', address: '10.231.2.2/24', gateway: '10.231.2.1' });
    await first.call('PUT', '/container', { name: 'svc', file: 'disk1/images/bb.tar', interface: 'veth1', 'root-dir': 'disk1/root/svc', 'start-on-boot': 'yes', logging: 'yes' });
    await until(first.call, 'svc', 'stopped');
    await first.call('POST', '/container/start', { '.id': 'svc' });
    await until(first.call, 'svc', 'running');
    await waitFor(async () => ((await logLines(first.call)).includes('booted') ? true : undefined), 30_000);
    const mem = Number((await status(first.call, 'svc'))['memory-current']);
    expect(mem).toBeGreaterThan(0);
    const inst1 = (first.sim.context.containers as unknown as { engine: { instance: { id: string; dir: string } } }).engine.instance;
    await first.sim.stop();
    expect(cgroupDirs(inst1.id)).toEqual([]);
    expect(existsSync(inst1.dir)).toBe(false);
    expect(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })).not.toMatch(new RegExp(`rs${inst1.id}`));

    const second = await startSim({ version: '7.23', arch: ARCH, containers: 'real', dataDir: first.dataDir });
    try {
      await until(second.call, 'svc', 'running');
      const engine = (second.sim.context.containers as unknown as { engine: { runc: { list(): Promise<string[]> } } }).engine;
      await waitFor(async () => ((await engine.runc.list()).length === 1 ? true : undefined), 30_000);
    } finally {
      await second.sim.stop();
    }
  }, 90_000);
});
