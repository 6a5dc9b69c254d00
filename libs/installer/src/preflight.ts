// Preflight: everything install needs from the router, read without changing anything. Each
// finding says what was found and, when it blocks the install, the one-line fix. `mkube doctor`
// prints them; `mkube install` stops before any change when one is an error.
import { parseRouterVersion, type RouterOsClient, rosBool } from '@mikrotik-kube/routeros-rest';
import { INSTALL_TAG, type InstallOptions, MIN_ROUTEROS, networkOf, ROUTER_ARCH } from './plan';

export interface Finding {
  check: string;
  ok: boolean;
  message: string;
  /** The one-line fix, for a finding that blocks the install. */
  fix?: string;
}

/** What install will reuse instead of creating (and uninstall will therefore leave). */
export interface Reuse {
  bridge: boolean;
  address: boolean;
  veth: boolean;
  nat: boolean;
}

export interface PreflightReport {
  findings: Finding[];
  ok: boolean;
  /** The disk install uses (when one was found). */
  disk: string;
  reuse: Reuse;
}

const ipInt = (ip: string) => ip.split('.').reduce((a, o) => (a << 8) | Number(o), 0) >>> 0;
function span(cidr: string): [number, number] {
  const [ip = '0.0.0.0', len = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  const base = Math.floor(ipInt(ip) / size) * size;
  return [base, base + size - 1];
}
const overlaps = (a: string, b: string) => {
  const [a0, a1] = span(a);
  const [b0, b1] = span(b);
  return a0 <= b1 && b0 <= a1;
};
const tagged = (comment: string | undefined) => comment?.startsWith(INSTALL_TAG) ?? false;

/** `needBytes`: room for the tarball and what RouterOS extracts from it. */
export async function preflight(router: RouterOsClient, o: InstallOptions, needBytes: number): Promise<PreflightReport> {
  const findings: Finding[] = [];
  const add = (check: string, ok: boolean, message: string, fix?: string) => findings.push({ check, ok, message, ...(ok || !fix ? {} : { fix }) });
  const [resource, packages, deviceMode, disks, bridges, addresses, veths, nat, containers] = await Promise.all([
    router.system.resource(),
    router.menu('system/package').list(),
    router.menu('system/device-mode').getSingleton().catch(() => undefined),
    router.menu('disk').list(),
    router.bridges.list(),
    router.addresses.list(),
    router.veths.list(),
    router.menu('ip/firewall/nat').list(),
    router.containers.list(),
  ]);

  const version = parseRouterVersion(resource.version);
  const min = parseRouterVersion(MIN_ROUTEROS);
  add('routeros', version.minor >= min.minor, `RouterOS ${version.raw}`, `upgrade RouterOS to ${MIN_ROUTEROS} or later: /system/package/update install`);
  const arch = ROUTER_ARCH[o.arch];
  add('architecture', resource.architecture === arch, `architecture ${resource.architecture} (${resource.boardName}), tarball for ${arch}`, `use the tarball for this router: --arch ${resource.architecture === 'x86' ? 'amd64' : resource.architecture}`);
  const pkg = packages.find((p) => p['name'] === 'container');
  add('container package', !!pkg && !rosBool(pkg['disabled']), pkg ? `container package ${pkg['version'] ?? ''}${rosBool(pkg['disabled']) ? ' (disabled)' : ''}` : 'no container package', `install the container package: upload container-${version.raw}-${resource.architecture}.npk from mikrotik.com and /system/reboot`);
  const mode = deviceMode?.['container'];
  add('device-mode', rosBool(mode), `device-mode container=${mode ?? 'unknown'}`, '/system/device-mode/update container=yes, then confirm with the reset button or a cold reboot within activation-timeout');

  // A disk of its own (not the internal flash, which is small and wears): what /disk lists, mounted.
  const usable = disks.filter((d) => d['mount-point'] && !['tmpfs', 'ramdisk'].includes(d['type'] ?? '') && !rosBool(d['disabled']));
  const disk = o.disk ? usable.find((d) => d['slot'] === o.disk) : usable[0];
  const free = disk?.['free'] === undefined ? undefined : Number(disk['free']);
  if (!disk) {
    add('disk', false, o.disk ? `no mounted disk ${o.disk} (have: ${usable.map((d) => d['slot']).join(', ') || 'none'})` : 'no disk besides the internal flash', 'attach a USB, SATA or NVMe disk (see /disk print) or name one with --disk');
  } else if (free !== undefined && free < needBytes) {
    add('disk', false, `disk ${disk['slot']}: ${mib(free)} free, ${mib(needBytes)} needed`, `free space on ${disk['slot']} or choose another disk with --disk`);
  } else {
    add('disk', true, `disk ${disk['slot']}${free === undefined ? '' : `: ${mib(free)} free, ${mib(needBytes)} needed`}`);
  }

  // The network of the Quick Start: reuse what is there when it is what we would add.
  const network = networkOf(o.gateway);
  const reuse: Reuse = { bridge: false, address: false, veth: false, nat: false };
  const bridge = bridges.find((b) => b.name === o.bridge);
  reuse.bridge = !!bridge && !tagged(bridge.comment);
  const clash = addresses.filter((a) => overlaps(a.address, network) && !(a.interface === o.bridge && a.address === o.gateway) && a.interface !== o.veth);
  const ours = addresses.find((a) => a.interface === o.bridge && a.address === o.gateway);
  reuse.address = !!ours && !tagged(ours.comment);
  add(
    'bridge',
    clash.length === 0,
    clash.length ? `${clash.map((a) => `${a.address} on ${a.interface}`).join(', ')} overlaps the pod network ${network}` : `bridge ${o.bridge} ${bridge ? 'exists' : 'will be added'}, ${o.gateway} ${ours ? 'is on it' : 'will be added'}`,
    `remove the overlapping address (/ip/address remove [find address="${clash[0]?.address}"]) or install with another --gateway`,
  );
  const veth = veths.find((v) => v.name === o.veth);
  const vethOk = !veth || tagged(veth.comment) || (veth.addresses.includes(o.vethAddress) && veth.gateway === o.gateway.split('/')[0]);
  reuse.veth = !!veth && !tagged(veth.comment) && vethOk;
  add('veth', vethOk, veth ? `veth ${o.veth} ${veth.addresses.join(',')} gateway ${veth.gateway ?? '-'}` : `veth ${o.veth} ${o.vethAddress} will be added`, `remove or rename the veth (/interface/veth remove ${o.veth}) or install with another --veth`);
  const masq = nat.find((r) => r['chain'] === 'srcnat' && r['action'] === 'masquerade' && r['src-address'] === network && !rosBool(r['disabled']));
  reuse.nat = !!masq && !tagged(masq['comment']);
  add('nat', true, masq ? `srcnat masquerade for ${network} exists` : `srcnat masquerade for ${network} will be added`);
  const other = containers.find((c) => c.name === o.containerName && !tagged(c.comment));
  add('container', !other, other ? `a container named ${o.containerName} exists that install did not make` : `container ${o.containerName}`, `remove it (/container remove [find name=${o.containerName}]) or install with another --name`);

  return { findings, ok: findings.every((f) => f.ok), disk: (disk?.['slot'] as string | undefined) ?? '', reuse };
}

const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;

/** One line per finding: ✓ or ✗, what was found, and the fix. */
export function formatFindings(findings: Finding[]): string {
  return findings.map((f) => `${f.ok ? 'ok  ' : 'FAIL'} ${f.check}: ${f.message}${f.fix ? `\n     fix: ${f.fix}` : ''}`).join('\n');
}
