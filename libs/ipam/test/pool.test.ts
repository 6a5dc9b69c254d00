// Address arithmetic, the sequential pool and the names/tags put on the router.
import { ConfigError } from '@mikrotik-kube/service-kit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { NetworkConfig } from '../src/config';
import { addressOfVethName, ownerProblem, parseTag, tag, vethName } from '../src/naming';
import { type Network, intToIp, parseIp, parseNetworks } from '../src/network';
import { Pool, Slot } from '../src/pool';

const net = (over: Partial<NetworkConfig> = {}): NetworkConfig => ({
  name: 'pods',
  bridge: 'containers',
  cidr: '10.20.0.0/24',
  gateway: '10.20.0.1',
  dns: [],
  exclude: [],
  default: false,
  ...over,
});

function ip(text: string): number {
  const v = parseIp(text);
  if (v === undefined) throw new Error(`bad test address ${text}`);
  return v;
}
const show = (v: number | undefined) => (v === undefined ? 'none' : intToIp(v));
function only(configs: NetworkConfig[]): Network {
  const [n] = parseNetworks(configs);
  if (!n) throw new Error('no network');
  return n;
}

function issues(configs: NetworkConfig[]): string[] {
  try {
    parseNetworks(configs);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.field}: ${i.message}`);
    throw err;
  }
  return [];
}

describe('network config', () => {
  it('accepts a plain network and makes the only one the default', () => {
    const n = only([net()]);
    expect(n).toMatchObject({ prefix: 24, isDefault: true, first: parseIp('10.20.0.1'), last: parseIp('10.20.0.254') });
  });

  it('names the field of every mistake', () => {
    expect(issues([net({ cidr: '10.20.0.0/33' })])[0]).toMatch(/^networks\.0\.cidr: must be an IPv4 CIDR/);
    expect(issues([net({ cidr: '10.20.0.7/24' })])[0]).toBe('networks.0.cidr: must be the network address, did you mean 10.20.0.0/24?');
    expect(issues([net({ cidr: '10.20.0.0' })])[0]).toMatch(/^networks\.0\.cidr: must include a prefix length/);
    expect(issues([net({ cidr: '10.0.0.0/4' })])[0]).toMatch(/^networks\.0\.cidr: prefix length must be between/);
    expect(issues([net({ gateway: '10.21.0.1' })])).toEqual(['networks.0.gateway: 10.21.0.1 is outside 10.20.0.0/24']);
    expect(issues([net({ gateway: '10.20.0.255' })])[0]).toMatch(/^networks\.0\.gateway: .* broadcast/);
    expect(issues([net({ gateway: 'ten' })])[0]).toMatch(/^networks\.0\.gateway: must be an IPv4 address/);
    expect(issues([net({ dns: ['1.1.1.1', 'x'] })])[0]).toMatch(/^networks\.0\.dns\.1:/);
    expect(issues([net({ rangeStart: '10.20.0.100', rangeEnd: '10.20.0.50' })])[0]).toMatch(/^networks\.0\.rangeEnd: range end/);
    expect(issues([net({ exclude: ['10.20.0.0/40'] })])[0]).toMatch(/^networks\.0\.exclude\.0:/);
  });

  it('refuses overlapping networks, duplicate names and an ambiguous default', () => {
    expect(issues([net({ default: true }), net({ name: 'b', cidr: '10.20.0.0/25', gateway: '10.20.0.1' })])).toEqual([
      'networks.1.cidr: overlaps network pods',
    ]);
    expect(issues([net({ default: true }), net({ cidr: '10.30.0.0/24', gateway: '10.30.0.1' })])).toEqual(['networks.1.name: duplicate network name pods']);
    expect(issues([net(), net({ name: 'b', cidr: '10.30.0.0/24', gateway: '10.30.0.1' })])[0]).toMatch(/^networks: exactly one network/);
  });
});

describe('pool', () => {
  it('hands out addresses in order, skipping gateway and exclusions, and wraps after the last one', () => {
    const n = only([net({ cidr: '10.20.0.0/29', exclude: ['10.20.0.3', '10.20.0.5/32'] })]);
    const pool = new Pool(n);
    expect(pool.size).toBe(3); // .2 .4 .6 (.0 net, .1 gw, .3 .5 excluded, .7 broadcast)
    const got = [pool.claimNext(), pool.claimNext(), pool.claimNext()].map(show);
    expect(got).toEqual(['10.20.0.2', '10.20.0.4', '10.20.0.6']);
    expect(pool.claimNext()).toBeUndefined();
    expect(pool.free).toBe(0);
    pool.release(ip('10.20.0.2'));
    pool.take(ip('10.20.0.4'), Slot.Allocated);
    pool.release(ip('10.20.0.4'));
    // The cursor is on .6: the next free after it wraps to .2, then .4.
    expect(show(pool.claimNext())).toBe('10.20.0.2');
    expect(show(pool.claimNext())).toBe('10.20.0.4');
  });

  it('continues after the cursor rather than reusing the lowest free address', () => {
    const n = only([net()]);
    const pool = new Pool(n);
    pool.setCursor(ip('10.20.0.40'));
    pool.take(ip('10.20.0.41'), Slot.Reserved);
    expect(show(pool.claimNext())).toBe('10.20.0.42');
  });

  it('honours a range and keeps used + free = size through any sequence of operations', () => {
    const n = only([net({ rangeStart: '10.20.0.10', rangeEnd: '10.20.0.20', exclude: ['10.20.0.16/30'] })]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('claim', 'release', 'reserve'), fc.integer({ min: 0, max: 30 }))), (ops) => {
        const pool = new Pool(n);
        for (const [op, k] of ops) {
          const at = ip('10.20.0.0') + k;
          if (op === 'claim') {
            const c = pool.claimNext();
            if (c !== undefined) expect(c >= n.first && c <= n.last && !(c >= n.first + 6 && c <= n.first + 9)).toBe(true);
          } else if (op === 'release') pool.release(at);
          else pool.take(at, Slot.Reserved);
          expect(pool.used + pool.free).toBe(pool.size);
          expect(pool.free).toBeGreaterThanOrEqual(0);
        }
      }),
    );
    expect(new Pool(n).size).toBe(7); // .10–.20 minus .16–.19
  });
});

describe('names and tags', () => {
  it('derives a short veth name from the address and back', () => {
    expect(vethName(ip('10.20.0.5'))).toBe('mk-0a140005');
    expect(vethName(ip('255.255.255.254')).length).toBeLessThanOrEqual(14);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (a) => addressOfVethName(vethName(a)) === a));
    expect(addressOfVethName('veth1')).toBeUndefined();
  });

  it('round-trips any valid owner through the comment and rejects lookalikes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (owner) => {
        fc.pre(ownerProblem(owner) === undefined);
        const t = tag(owner, 'pods');
        expect(parseTag(t)).toEqual({ owner, network: 'pods' });
        expect(t).toMatch(/^[\x21-\x7e ]+$/);
      }),
    );
    expect(parseTag('mikrotik-kube:ipam owner=a b network=pods')).toBeUndefined();
    expect(parseTag('mikrotik-kube:ipam owner=a network=pods extra')).toBeUndefined();
    expect(parseTag('my veth')).toBeUndefined();
    expect(tag('ns/pod "x"=1', 'pods')).toBe('mikrotik-kube:ipam owner=ns%2Fpod%20%22x%22%3D1 network=pods');
  });

  it('refuses empty, oversized and control-character owners', () => {
    expect(ownerProblem('')).toMatch(/empty/);
    expect(ownerProblem('x'.repeat(400))).toMatch(/longer/);
    expect(ownerProblem('a\nb')).toMatch(/control/);
    expect(ownerProblem('a\uD800')).toMatch(/Unicode/);
    expect(ownerProblem('default/web-0')).toBeUndefined();
  });
});
