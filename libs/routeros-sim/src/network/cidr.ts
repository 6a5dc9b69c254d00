// IPv4 ranges as numbers: enough to tell whether a pod network would shadow a route the host
// already has, and to pick the simulator's host link.

export interface Range {
  start: number;
  end: number;
}

export function ipv4ToNumber(ip: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return (((parts[0] as number) << 24) >>> 0) + ((parts[1] as number) << 16) + ((parts[2] as number) << 8) + (parts[3] as number);
}

export const numberToIpv4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** `a.b.c.d/len` (or a bare address, /32) as a range; undefined when not IPv4. */
export function cidrRange(cidr: string): Range | undefined {
  const [ip = '', lenText = '32'] = cidr.split('/');
  const n = ipv4ToNumber(ip);
  const len = Number(lenText);
  if (n === undefined || !Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const size = 2 ** (32 - len);
  const start = Math.floor(n / size) * size;
  return { start, end: start + size - 1 };
}

/** The network of an interface address, `10.1.2.3/24` → `10.1.2.0/24`. */
export function networkOf(cidr: string): string | undefined {
  const r = cidrRange(cidr);
  return r ? `${numberToIpv4(r.start)}/${cidr.split('/')[1] ?? '32'}` : undefined;
}

export const overlaps = (a: Range, b: Range) => a.start <= b.end && b.start <= a.end;
