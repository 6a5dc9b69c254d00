// /interface/bridge, /interface/veth, /interface/bridge/port and /ip/address as real kernel
// objects in the router namespace. A bridge is `br<id>`; a veth is a pair whose router end
// `ve<id>` can join a bridge and whose container end `eth0` lives in a namespace of its own
// (`rs<inst>-v<id>`) with the veth's addresses and default route via its gateway — containers
// on that veth run in that namespace. Changes are applied in order, one at a time; a failure
// is logged (topic `system,error`), never thrown into the REST request that caused it.
import { Address4 } from 'ip-address';
import type { ChangeEvent, SimState } from '../state/store';
import type { Row } from '../state/values';
import { ip } from '../containers/real/instance';
import type { ContainerNetwork } from '../containers/real/runc-engine';
import { networkOf } from './cidr';
import type { RouterNamespace } from './router-namespace';

const BRIDGE = 'interface/bridge';
const VETH = 'interface/veth';
const PORT = 'interface/bridge/port';
const ADDRESS = 'ip/address';

const hex = (row: Row) => (row['.id'] as string).slice(1).toLowerCase();
const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);

export class InterfaceSync {
  private chain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly ns: RouterNamespace,
    private readonly state: SimState,
    private readonly log: (m: string) => void,
  ) {}

  /** Builds what the stored configuration has (a reboot), then follows every change. */
  start(): Promise<void> {
    for (const menu of [BRIDGE, VETH, PORT, ADDRESS]) for (const row of this.state.menu(menu).rows()) this.onChange({ menu, op: 'add', row } as ChangeEvent);
    this.unsubscribe = this.state.onChange((e) => this.onChange(e));
    return this.idle();
  }

  /** Resolves once every change so far is in the kernel. */
  idle(): Promise<void> {
    return this.chain;
  }

  stop(): void {
    this.unsubscribe?.();
  }

  vethNamespace(row: Row): string {
    return `${this.ns.prefix}-v${hex(row)}`;
  }

  /** Where a container on veth `name` runs, once pending changes are applied. */
  async network(name: string): Promise<ContainerNetwork | undefined> {
    await this.idle();
    const row = this.state.menu(VETH).rows().find((r) => r['name'] === name);
    if (!row) return undefined;
    const v4 = list(row['address']).find((a) => Address4.isValid(a));
    return {
      netnsPath: `/run/netns/${this.vethNamespace(row)}`,
      ...(v4 ? { address: v4.split('/')[0] } : {}),
      ...(row['gateway'] ? { gateway: row['gateway'] } : {}),
    };
  }

  private onChange(e: ChangeEvent): void {
    if (![BRIDGE, VETH, PORT, ADDRESS].includes(e.menu)) return;
    this.chain = this.chain.then(() => this.apply(e)).catch((err: unknown) => this.log(`router network: ${(err as Error).message}`));
  }

  private kernelName(ifName: string): string | undefined {
    const b = this.state.menu(BRIDGE).rows().find((r) => r['name'] === ifName);
    if (b) return `br${hex(b)}`;
    const v = this.state.menu(VETH).rows().find((r) => r['name'] === ifName);
    return v ? `ve${hex(v)}` : undefined;
  }

  private async apply(e: ChangeEvent): Promise<void> {
    const { row, before } = e;
    const r = (args: string[]) => this.ns.exec(args);
    switch (`${e.menu} ${e.op}`) {
      case `${BRIDGE} add`:
        await r(['link', 'add', `br${hex(row)}`, 'type', 'bridge']);
        await r(['link', 'set', `br${hex(row)}`, 'up']);
        return;
      case `${BRIDGE} remove`:
        await r(['link', 'delete', `br${hex(row)}`]).catch(() => undefined);
        return;
      case `${VETH} add`:
        return this.addVeth(row);
      case `${VETH} set`:
        if (before && (before['address'] !== row['address'] || before['gateway'] !== row['gateway'] || before['gateway6'] !== row['gateway6'])) await this.addressVeth(row, true);
        return;
      case `${VETH} remove`:
        await ip(['netns', 'delete', this.vethNamespace(row)]).catch(() => undefined);
        return;
      case `${PORT} add`:
        return this.enslave(row);
      case `${PORT} set`:
        if (before) await this.release(before);
        return this.enslave(row);
      case `${PORT} remove`:
        return this.release(row);
      case `${ADDRESS} add`:
        return this.address(row, 'add');
      case `${ADDRESS} set`:
        if (before) await this.address(before, 'del');
        return this.address(row, 'add');
      case `${ADDRESS} remove`:
        return this.address(row, 'del');
      default:
    }
  }

  private async addVeth(row: Row): Promise<void> {
    const netns = this.vethNamespace(row);
    await ip(['netns', 'add', netns]);
    await this.ns.exec(['link', 'add', `ve${hex(row)}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await this.ns.exec(['link', 'set', `ve${hex(row)}`, 'up']);
    await ip(['-n', netns, 'link', 'set', 'lo', 'up']);
    await ip(['-n', netns, 'link', 'set', 'eth0', 'up']);
    await this.addressVeth(row, false);
  }

  /** The container end gets the veth's addresses and a default route via its gateway(s). */
  private async addressVeth(row: Row, flush: boolean): Promise<void> {
    const n = (args: string[]) => ip(['-n', this.vethNamespace(row), ...args]);
    if (flush) {
      await n(['addr', 'flush', 'dev', 'eth0']);
      await n(['route', 'flush', 'dev', 'eth0']).catch(() => undefined);
    }
    for (const a of list(row['address'])) await n(['addr', 'add', a, 'dev', 'eth0']);
    if (row['gateway']) await n(['route', 'replace', 'default', 'via', row['gateway'], 'dev', 'eth0', 'onlink']);
    if (row['gateway6']) await n(['-6', 'route', 'replace', 'default', 'via', row['gateway6'], 'dev', 'eth0', 'onlink']);
  }

  private async enslave(port: Row): Promise<void> {
    const bridge = this.kernelName(port['bridge'] ?? '');
    const member = this.kernelName(port['interface'] ?? '');
    if (!bridge?.startsWith('br') || !member || port['disabled'] === 'true') return;
    await this.ns.exec(['link', 'set', member, 'master', bridge]);
  }

  private async release(port: Row): Promise<void> {
    const member = this.kernelName(port['interface'] ?? '');
    if (member) await this.ns.exec(['link', 'set', member, 'nomaster']).catch(() => undefined);
  }

  private async address(row: Row, op: 'add' | 'del'): Promise<void> {
    const dev = this.kernelName(row['interface'] ?? '');
    const address = row['address'] ?? '';
    if (!dev || !address || (op === 'add' && row['disabled'] === 'true')) return;
    await this.ns.exec(['addr', op, address, 'dev', dev]).catch((e: unknown) => {
      if (op === 'add') throw e;
    });
    const network = networkOf(address);
    if (!network) return;
    if (op === 'add') await this.ns.routeFromHost(network);
    else if (!this.state.menu(ADDRESS).rows().some((a) => a !== row && networkOf(a['address'] ?? '') === network)) await this.ns.unrouteFromHost(network);
  }
}
