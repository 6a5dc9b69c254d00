// nvme-cli stand-in for machines without NVMe/TCP kernel modules. It speaks nvme-cli 2.x's
// argument syntax and output (`connect`, `disconnect`, `ns-rescan`, `list-subsys [-o json]`) and
// does what the kernel would: it dials the target at `traddr:trsvcid` over TCP, where the
// simulated RDS's NVMe/TCP face (libs/routeros-sim disk/nvme-tcp.ts) answers an NQN handshake
// with the exported disk's backing file (a real sparse file), which is attached as a loop device;
// the sysfs entries a real connect creates are written under a test sysfs root:
//   <sys>/class/nvme-subsystem/nvme-subsysN/{subsysnqn, nvmeN/{state,transport,address,…}, nvmeNn1/{dev,size}}
//   <sys>/class/nvme/nvmeN → the controller dir, <sys>/dev/block/<maj:min> → the loop device
// Everything after that (blkid, mkfs, mount, resize2fs, …) is real.
//
// Environment: NVME_STANDIN_SYSFS (required).
import { execFileSync } from 'node:child_process';
import { connect as dial } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const sysRoot = () => {
  const s = process.env['NVME_STANDIN_SYSFS'];
  if (!s) throw new Fail('NVME_STANDIN_SYSFS is not set', 1);
  return s;
};
const subsysRoot = () => join(sysRoot(), 'class/nvme-subsystem');
const recordDir = () => join(sysRoot(), '.standin');

class Fail extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

interface Record {
  n: number;
  nqn: string;
  loop: string;
  file: string;
  traddr: string;
  trsvcid: string;
  hostnqn: string;
}

/** Options with a value (short and long names), as nvme-cli's argconfig parses them. */
const VALUED: { [k: string]: string } = {
  t: 'transport', a: 'traddr', s: 'trsvcid', n: 'nqn', q: 'hostnqn', I: 'hostid', l: 'ctrl-loss-tmo', c: 'reconnect-delay',
  k: 'keep-alive-tmo', o: 'output-format', w: 'host-traddr', f: 'host-iface', i: 'nr-io-queues', Q: 'queue-size', d: 'device', S: 'dhchap-secret',
};
const LONG = new Set(Object.values(VALUED));

export function parseArgs(argv: string[]): { opts: Map<string, string>; positional: string[] } {
  const opts = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    let name: string | undefined;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) value = a.slice(eq + 1);
      if (!LONG.has(name)) {
        opts.set(name, 'true');
        continue;
      }
    } else if (a.startsWith('-') && a.length >= 2) {
      const long = VALUED[a[1] as string];
      if (!long) {
        opts.set(a.slice(1), 'true');
        continue;
      }
      name = long;
      if (a.length > 2) value = a.slice(2);
    } else {
      positional.push(a);
      continue;
    }
    if (value === undefined) {
      value = argv[++i];
      if (value === undefined) throw new Fail(`option '--${name}' requires an argument`, 22);
    }
    opts.set(name, value);
  }
  return { opts, positional };
}

function records(): Record[] {
  if (!existsSync(recordDir())) return [];
  return readdirSync(recordDir())
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(recordDir(), f), 'utf8')) as Record)
    .sort((x, y) => x.n - y.n);
}

/**
 * The target's answer for an NQN at traddr:trsvcid: the backing file of the disk exported there,
 * or undefined when nothing listens or the target has no such subsystem (as connect fails).
 */
function handshake(traddr: string, trsvcid: string, nqn: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let reply = '';
    const sock = dial({ host: traddr, port: Number(trsvcid), timeout: 5000 });
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`NQN ${nqn}\n`));
    sock.on('data', (c: string) => (reply += c));
    sock.on('timeout', () => sock.destroy());
    sock.on('error', () => resolve(undefined));
    sock.on('close', () => resolve(/^OK (\/.+)$/m.exec(reply)?.[1]));
  });
}

const hostNqnFromFile = () => {
  try {
    return readFileSync('/etc/nvme/hostnqn', 'utf8').trim();
  } catch {
    return '';
  }
};

async function connect(opts: Map<string, string>): Promise<void> {
  const transport = opts.get('transport');
  const traddr = opts.get('traddr');
  const nqn = opts.get('nqn');
  if (!transport) throw new Fail('need a transport (-t) argument', 22);
  if (!nqn) throw new Fail('need a -n argument', 22);
  if (transport !== 'tcp') throw new Fail(`Failed to write to /dev/nvme-fabrics: Invalid argument`, 22);
  if (!traddr) throw new Fail('need a address (-a) argument', 22);
  const trsvcid = opts.get('trsvcid') ?? '4420';
  if (records().some((r) => r.nqn === nqn && r.traddr === traddr && r.trsvcid === trsvcid)) throw new Fail('already connected', 114);
  const file = await handshake(traddr, trsvcid, nqn);
  if (!file || !existsSync(file)) throw new Fail('Failed to write to /dev/nvme-fabrics: Input/output error', 5);

  // Claim the lowest free instance number atomically (concurrent connects race on mkdir).
  mkdirSync(subsysRoot(), { recursive: true });
  let n = 0;
  for (;;) {
    try {
      mkdirSync(join(subsysRoot(), `nvme-subsys${n}`));
      break;
    } catch {
      n++;
    }
  }
  const sub = join(subsysRoot(), `nvme-subsys${n}`);
  let loop = '';
  try {
    loop = execFileSync('losetup', ['--find', '--show', file], { encoding: 'utf8' }).trim();
    const lname = basename(loop);
    const dev = readFileSync(`/sys/class/block/${lname}/dev`, 'utf8').trim();
    const hostnqn = opts.get('hostnqn') ?? hostNqnFromFile();
    const rec: Record = { n, nqn, loop, file, traddr, trsvcid, hostnqn };
    mkdirSync(recordDir(), { recursive: true });
    writeFileSync(join(recordDir(), `nvme-subsys${n}.json`), JSON.stringify(rec));
    const ctrl = join(sub, `nvme${n}`);
    mkdirSync(ctrl);
    for (const [k, v] of Object.entries({
      state: 'live', transport: 'tcp', address: `traddr=${traddr},trsvcid=${trsvcid}`, subsysnqn: nqn, hostnqn,
      ctrl_loss_tmo: opts.get('ctrl-loss-tmo') ?? '600', reconnect_delay: opts.get('reconnect-delay') ?? '10',
    })) writeFileSync(join(ctrl, k), `${v}\n`);
    const ns = join(sub, `nvme${n}n1`);
    mkdirSync(ns);
    writeFileSync(join(ns, 'dev'), `${dev}\n`);
    writeFileSync(join(ns, 'size'), readFileSync(`/sys/class/block/${lname}/size`, 'utf8'));
    mkdirSync(join(sysRoot(), 'class/nvme'), { recursive: true });
    symlinkSync(ctrl, join(sysRoot(), 'class/nvme', `nvme${n}`));
    mkdirSync(join(sysRoot(), 'dev/block'), { recursive: true });
    rmSync(join(sysRoot(), 'dev/block', dev), { force: true });
    symlinkSync(`/sys/devices/virtual/block/${lname}`, join(sysRoot(), 'dev/block', dev));
    // Written last: a subsystem is only visible to readers once it is complete.
    writeFileSync(join(sub, 'subsysnqn'), `${nqn}\n`);
  } catch (e) {
    if (loop) execFileSync('losetup', ['-d', loop]);
    rmSync(sub, { recursive: true, force: true });
    rmSync(join(recordDir(), `nvme-subsys${n}.json`), { force: true });
    throw e;
  }
  if (opts.get('output-format') === 'json') process.stdout.write(`${JSON.stringify({ device: `nvme${n}` }, null, 2)}\n`);
}

function remove(rec: Record): void {
  const sub = join(subsysRoot(), `nvme-subsys${rec.n}`);
  const dev = existsSync(join(sub, `nvme${rec.n}n1/dev`)) ? readFileSync(join(sub, `nvme${rec.n}n1/dev`), 'utf8').trim() : '';
  // Hide the subsystem first (readers key on subsysnqn), then release the device.
  rmSync(join(sub, 'subsysnqn'), { force: true });
  try {
    execFileSync('losetup', ['-d', rec.loop], { stdio: 'ignore' });
  } catch {
    // already detached (a test may pull the device away to simulate a lost namespace)
  }
  rmSync(join(sysRoot(), 'class/nvme', `nvme${rec.n}`), { force: true });
  if (dev) rmSync(join(sysRoot(), 'dev/block', dev), { force: true });
  rmSync(sub, { recursive: true, force: true });
  rmSync(join(recordDir(), `nvme-subsys${rec.n}.json`), { force: true });
}

function disconnect(opts: Map<string, string>): void {
  const nqn = opts.get('nqn');
  const device = opts.get('device');
  if (!nqn && !device) throw new Fail('need a -n or -d argument', 22);
  if (nqn) {
    const hit = records().filter((r) => r.nqn === nqn);
    hit.forEach(remove);
    process.stdout.write(`NQN:${nqn} disconnected ${hit.length} controller(s)\n`);
    return;
  }
  const rec = records().find((r) => `nvme${r.n}` === basename(device as string));
  if (!rec) throw new Fail(`Failed to disconnect ${device}: No such file or directory`, 2);
  remove(rec);
}

function nsRescan(positional: string[]): void {
  const dev = positional[0];
  if (!dev) throw new Fail('ns-rescan: no device specified', 22);
  const rec = records().find((r) => `nvme${r.n}` === basename(dev));
  if (!rec) throw new Fail(`${dev}: No such file or directory`, 2);
  // A namespace that grew on the target: the loop device re-reads its backing file's size.
  execFileSync('losetup', ['-c', rec.loop]);
  const lname = basename(rec.loop);
  writeFileSync(join(subsysRoot(), `nvme-subsys${rec.n}`, `nvme${rec.n}n1`, 'size'), readFileSync(`/sys/class/block/${lname}/size`, 'utf8'));
}

function listSubsys(opts: Map<string, string>): void {
  const recs = records().filter((r) => existsSync(join(subsysRoot(), `nvme-subsys${r.n}`, 'subsysnqn')));
  const state = (r: Record) => {
    try {
      return readFileSync(join(subsysRoot(), `nvme-subsys${r.n}`, `nvme${r.n}`, 'state'), 'utf8').trim();
    } catch {
      return 'deleting';
    }
  };
  const hostnqn = hostNqnFromFile();
  if (opts.get('output-format') === 'json') {
    let hostid = '';
    try {
      hostid = readFileSync('/etc/nvme/hostid', 'utf8').trim();
    } catch {
      // no hostid file: nvme-cli omits the field
    }
    const host = {
      HostNQN: recs[0]?.hostnqn || hostnqn,
      ...(hostid ? { HostID: hostid } : {}),
      Subsystems: recs.map((r) => ({
        Name: `nvme-subsys${r.n}`,
        NQN: r.nqn,
        Paths: [{ Name: `nvme${r.n}`, Transport: 'tcp', Address: `traddr=${r.traddr},trsvcid=${r.trsvcid}`, State: state(r) }],
      })),
    };
    process.stdout.write(`${JSON.stringify([host], null, 2)}\n`);
    return;
  }
  for (const r of recs) {
    process.stdout.write(`nvme-subsys${r.n} - NQN=${r.nqn}\n\\\n +- nvme${r.n} tcp traddr=${r.traddr},trsvcid=${r.trsvcid} ${state(r)}\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    const { opts, positional } = parseArgs(rest);
    switch (cmd) {
      case 'connect':
        await connect(opts);
        return 0;
      case 'disconnect':
        disconnect(opts);
        return 0;
      case 'ns-rescan':
        nsRescan(positional);
        return 0;
      case 'list-subsys':
        listSubsys(opts);
        return 0;
      case 'version':
        process.stdout.write('nvme version 2.3 (standin)\n');
        return 0;
      default:
        process.stderr.write(`nvme: unsupported command '${cmd ?? ''}' in the test stand-in\n`);
        return 1;
    }
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return e instanceof Fail ? e.exitCode : 1;
  }
}

/** Test teardown: detach every loop device the stand-in attached under a sysfs root. */
export function detachAll(sys: string): void {
  const prev = process.env['NVME_STANDIN_SYSFS'];
  process.env['NVME_STANDIN_SYSFS'] = sys;
  try {
    records().forEach(remove);
  } finally {
    if (prev === undefined) delete process.env['NVME_STANDIN_SYSFS'];
    else process.env['NVME_STANDIN_SYSFS'] = prev;
  }
}

/** Path of the executable wrapper that runs this stand-in (give it to the plugin as its nvme binary). */
export const standinBin = fileURLToPath(new URL('./nvme', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exit(await main(process.argv.slice(2)));
