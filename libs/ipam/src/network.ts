// Turns configured networks into checked address arithmetic. Addresses are
// handled as unsigned 32-bit integers after ip-address has parsed them, so
// pools can index them directly. Every mistake names its config field.
import { ConfigError, type ConfigIssue } from '@mikrotik-kube/service-kit';
import { Address4 } from 'ip-address';
import type { NetworkConfig } from './config';

export interface Network {
  name: string;
  bridge: string;
  /** Network address and prefix length of the CIDR. */
  base: number;
  prefix: number;
  broadcast: number;
  gateway: number;
  dns: string[];
  /** Inclusive bounds of the addresses the pool may hand out. */
  first: number;
  last: number;
  /** Single addresses and [start, end] blocks that are never handed out. */
  excluded: Array<[number, number]>;
  isDefault: boolean;
}

export const MIN_PREFIX = 8;
export const MAX_PREFIX = 30;

export function ipToInt(a: Address4): number {
  return Number(a.bigInt());
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** Parses a dotted IPv4 address (no prefix); undefined when invalid. */
export function parseIp(text: string): number | undefined {
  if (text.includes('/')) return undefined;
  try {
    return ipToInt(new Address4(text));
  } catch {
    return undefined;
  }
}

export function contains(net: Pick<Network, 'base' | 'broadcast'>, ip: number): boolean {
  return ip >= net.base && ip <= net.broadcast;
}

class Checker {
  readonly issues: ConfigIssue[] = [];
  constructor(private readonly source: string) {}
  fail(field: string, message: string): undefined {
    this.issues.push({ field, source: this.source, message });
    return undefined;
  }
  ip(field: string, text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const ip = parseIp(text);
    return ip === undefined ? this.fail(field, `must be an IPv4 address, got ${JSON.stringify(text)}`) : ip;
  }
}

function parseCidr(c: Checker, field: string, text: string): { base: number; prefix: number } | undefined {
  let a: Address4;
  try {
    a = new Address4(text);
  } catch (err) {
    return c.fail(field, `must be an IPv4 CIDR like 10.20.0.0/24, got ${JSON.stringify(text)} (${(err as Error).message})`);
  }
  if (!text.includes('/')) return c.fail(field, `must include a prefix length, got ${JSON.stringify(text)}`);
  const prefix = a.subnetMask;
  if (prefix < MIN_PREFIX || prefix > MAX_PREFIX) {
    return c.fail(field, `prefix length must be between /${MIN_PREFIX} and /${MAX_PREFIX}, got /${prefix}`);
  }
  const base = ipToInt(a.startAddress());
  if (base !== ipToInt(a)) return c.fail(field, `must be the network address, did you mean ${intToIp(base)}/${prefix}?`);
  return { base, prefix };
}

function parseNetwork(c: Checker, cfg: NetworkConfig, i: number): Network | undefined {
  const f = (k: string) => `networks.${i}.${k}`;
  const cidr = parseCidr(c, f('cidr'), cfg.cidr);
  const gateway = c.ip(f('gateway'), cfg.gateway);
  cfg.dns.forEach((d, j) => c.ip(f(`dns.${j}`), d));
  const start = c.ip(f('rangeStart'), cfg.rangeStart);
  const end = c.ip(f('rangeEnd'), cfg.rangeEnd);
  if (!cidr) return undefined;
  const broadcast = (cidr.base + 2 ** (32 - cidr.prefix) - 1) >>> 0;
  const span = { base: cidr.base, broadcast };
  const host = (field: string, ip: number | undefined) => {
    if (ip === undefined) return;
    if (!contains(span, ip)) c.fail(field, `${intToIp(ip)} is outside ${cfg.cidr}`);
    else if (ip === cidr.base || ip === broadcast) c.fail(field, `${intToIp(ip)} is the network or broadcast address of ${cfg.cidr}`);
  };
  host(f('gateway'), gateway);
  host(f('rangeStart'), start);
  host(f('rangeEnd'), end);
  const first = start ?? cidr.base + 1;
  const last = end ?? broadcast - 1;
  if (first > last) c.fail(f('rangeEnd'), `range end ${intToIp(last)} is before range start ${intToIp(first)}`);
  const excluded: Array<[number, number]> = [];
  cfg.exclude.forEach((e, j) => {
    const field = f(`exclude.${j}`);
    if (e.includes('/')) {
      try {
        const a = new Address4(e);
        excluded.push([ipToInt(a.startAddress()), ipToInt(a.endAddress())]);
      } catch {
        c.fail(field, `must be an IPv4 address or CIDR, got ${JSON.stringify(e)}`);
      }
    } else {
      const ip = c.ip(field, e);
      if (ip !== undefined) excluded.push([ip, ip]);
    }
  });
  if (gateway === undefined) return undefined;
  return {
    name: cfg.name,
    bridge: cfg.bridge,
    base: cidr.base,
    prefix: cidr.prefix,
    broadcast,
    gateway,
    dns: cfg.dns,
    first,
    last,
    excluded,
    isDefault: cfg.default,
  };
}

/**
 * Checks every network and the set as a whole: unique names, no overlapping
 * CIDRs (veth names are derived from addresses, so overlapping pools would
 * fight over the same names) and exactly one default.
 */
export function parseNetworks(configs: NetworkConfig[], source = 'config'): Network[] {
  const c = new Checker(source);
  const nets: Network[] = [];
  configs.forEach((cfg, i) => {
    const n = parseNetwork(c, cfg, i);
    if (n) nets.push(n);
  });
  configs.forEach((cfg, i) => {
    if (configs.findIndex((o) => o.name === cfg.name) !== i) c.fail(`networks.${i}.name`, `duplicate network name ${cfg.name}`);
  });
  nets.forEach((n, i) => {
    const other = nets.slice(0, i).find((o) => n.base <= o.broadcast && o.base <= n.broadcast);
    if (other) c.fail(`networks.${configs.findIndex((x) => x.name === n.name)}.cidr`, `overlaps network ${other.name}`);
  });
  const defaults = configs.filter((n) => n.default);
  if (configs.length > 1 && defaults.length !== 1) {
    c.fail('networks', `exactly one network must have default: true when several are configured (found ${defaults.length})`);
  }
  if (c.issues.length) throw new ConfigError(c.issues);
  if (nets.length === 1 && nets[0]) nets[0].isDefault = true;
  return nets;
}
