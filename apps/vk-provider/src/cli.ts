// mkube — the operator's command line.
//   mkube status [--url http://127.0.0.1:8080] [--json]
//     reads GET /api/v1/pods from vk-provider's (or mikrotik-kube's) ops port and prints the pods in boot order.
//   mkube doctor|install|uninstall --router URL --user U --password-file F [--arch arm64|amd64] [--tarball PATH] …
//     mikrotik-kube onto the router itself (libs/installer): doctor runs the preflight alone.
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import { DEFAULTS, formatFindings, install, type InstallOptions, PreflightFailed, preflight, uninstall } from '@mikrotik-kube/installer';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { renderStatus } from '@mikrotik-kube/vk-provider';

const USAGE = `usage: mkube status [--url http://127.0.0.1:8080] [--json]
       mkube doctor|install|uninstall --router https://<router>/rest --user <user> --password-file <file>
             [--arch arm64|amd64] [--tarball dist/mikrotik-kube-<version>-<arch>.tar] [--disk <slot>]
             [--pods boot-order.yaml] [--fetch-host <this machine's address>] [--ca-file <pem>] [--insecure]
             [--ready-timeout <seconds>] [--bridge containers] [--gateway 172.20.0.1/16] [--veth veth-mgmt]
             [--veth-address 172.20.0.2/16] [--name mikrotik-kube]
`;

async function status(url: string, json: boolean): Promise<number> {
  const target = `${url.replace(/\/$/, '')}/api/v1/pods`;
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(10_000) });
  } catch (e) {
    process.stderr.write(`mkube: cannot reach ${target}: ${(e as Error).message}\n`);
    return 1;
  }
  if (!res.ok) {
    process.stderr.write(`mkube: ${target} answered ${res.status}\n`);
    return 1;
  }
  const list = (await res.json()) as { items: V1Pod[] };
  process.stdout.write(json ? `${JSON.stringify(list, null, 2)}\n` : renderStatus(list.items));
  return 0;
}

/** This machine's address on the way to `host` (a connected UDP socket sends nothing). */
async function localAddressTowards(host: string): Promise<string> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => s.connect(9, host, (err?: Error) => (err ? reject(err) : resolve())));
    return s.address().address;
  } finally {
    s.close();
  }
}

type Values = Record<string, string | boolean | undefined>;

async function onRouter(cmd: 'doctor' | 'install' | 'uninstall', v: Values): Promise<number> {
  const url = v['router'] as string | undefined;
  const passwordFile = v['password-file'] as string | undefined;
  if (!url || !/^https?:\/\//.test(url) || !v['user'] || !passwordFile) {
    process.stderr.write(`mkube ${cmd}: --router https://<router>/rest, --user and --password-file are required\n${USAGE}`);
    return 2;
  }
  const password = readFileSync(passwordFile, 'utf8').replace(/\r?\n$/, '');
  const router = new RouterOsClient({
    url,
    username: v['user'] as string,
    password,
    insecureSkipVerify: v['insecure'] === true,
    ...(v['ca-file'] ? { ca: readFileSync(v['ca-file'] as string) } : {}),
  });
  const log = (line: string) => process.stdout.write(`mkube: ${line}\n`);
  try {
    const routerArch = (await router.system.resource()).architecture;
    const arch = (v['arch'] as InstallOptions['arch'] | undefined) ?? (routerArch === 'x86' ? 'amd64' : 'arm64');
    if (arch !== 'arm64' && arch !== 'amd64') {
      process.stderr.write(`mkube ${cmd}: --arch must be arm64 or amd64, got ${String(arch)}\n`);
      return 2;
    }
    const o: InstallOptions = { ...DEFAULTS, arch };
    for (const [flag, key] of [['disk', 'disk'], ['bridge', 'bridge'], ['gateway', 'gateway'], ['veth', 'veth'], ['veth-address', 'vethAddress'], ['name', 'containerName']] as const) {
      if (typeof v[flag] === 'string') o[key] = v[flag];
    }
    const bad = (['gateway', 'vethAddress'] as const).find((k) => !/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(o[k]));
    if (bad) {
      process.stderr.write(`mkube ${cmd}: --${bad === 'gateway' ? 'gateway' : 'veth-address'} must be an IPv4 address with its prefix, like 172.20.0.1/16; got ${o[bad]}\n`);
      return 2;
    }
    if (cmd === 'uninstall') {
      await uninstall(router, o.containerName, log);
      return 0;
    }
    const version = existsSync('package.json') ? (JSON.parse(readFileSync('package.json', 'utf8')) as { version?: string }).version : undefined;
    const tarball = (v['tarball'] as string | undefined) ?? `dist/mikrotik-kube-${version ?? 'dev'}-${arch}.tar`;
    if (cmd === 'doctor') {
      const size = existsSync(tarball) ? readFileSync(tarball).length : 0;
      const report = await preflight(router, o, size * 3);
      process.stdout.write(`${formatFindings(report.findings)}\n`);
      return report.ok ? 0 : 1;
    }
    if (!existsSync(tarball)) {
      process.stderr.write(`mkube install: no tarball at ${tarball} (make tarball ARCH=${arch}, or --tarball)\n`);
      return 2;
    }
    await install(router, {
      ...o,
      tarball,
      user: v['user'] as string,
      password,
      ...(v['pods'] ? { pods: readFileSync(v['pods'] as string, 'utf8') } : {}),
      fetchHost: (v['fetch-host'] as string | undefined) ?? (await localAddressTowards(new URL(url).hostname)),
      readyTimeoutMs: Number(v['ready-timeout'] ?? 300) * 1000,
      log,
    });
    return 0;
  } catch (e) {
    process.stderr.write(`mkube ${cmd}: ${e instanceof PreflightFailed ? e.message : (e as Error).message}\n`);
    return 1;
  } finally {
    router.close();
  }
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: process.env['MKUBE_URL'] ?? 'http://127.0.0.1:8080' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
      router: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      arch: { type: 'string' },
      tarball: { type: 'string' },
      disk: { type: 'string' },
      pods: { type: 'string' },
      'fetch-host': { type: 'string' },
      'ca-file': { type: 'string' },
      insecure: { type: 'boolean', default: false },
      'ready-timeout': { type: 'string' },
      bridge: { type: 'string' },
      gateway: { type: 'string' },
      veth: { type: 'string' },
      'veth-address': { type: 'string' },
      name: { type: 'string' },
    },
  });
  const cmd = positionals[0];
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  if (cmd === 'status') return status(values.url, values.json);
  if (cmd === 'doctor' || cmd === 'install' || cmd === 'uninstall') return onRouter(cmd, values);
  process.stderr.write(USAGE);
  return 2;
}

process.exitCode = await main();
