// /interface/veth, /interface/bridge and /interface/bridge/port (docs/routeros.md "Network").
// Interface names share one namespace across interface kinds, so a duplicate is refused
// atomically — ipam relies on that as a claim.
import { invalidValue, noSuchItem } from '../state/errors';
import type { MenuContext, MenuSpec } from '../state/menu-spec';
import type { Row } from '../state/values';
import { parsePrefix } from './prefix';

export const INTERFACE_SCOPE = 'interface';
const INTERFACE_MENUS = ['interface/veth', 'interface/bridge'];
const DUPLICATE_INTERFACE = 'failure: already have interface with such name';

/** Finds an interface row by name in any interface menu. */
export function findInterface(ctx: MenuContext, name: string): { menu: string; row: Row } | undefined {
  for (const path of INTERFACE_MENUS) {
    const row = ctx.state.menu(path).rows().find((r) => r['name'] === name);
    if (row) return { menu: path, row };
  }
  return undefined;
}

function checkVethAddresses(args: Row): void {
  if (args['address'] !== undefined && args['address'] !== '') {
    for (const a of args['address'].split(',')) if (!parsePrefix(a.trim(), true)) throw invalidValue('address');
  }
  if (args['gateway'] !== undefined && args['gateway'] !== '' && !parsePrefix(args['gateway'], false, 4)) throw invalidValue('gateway');
  if (args['gateway6'] !== undefined && args['gateway6'] !== '' && !parsePrefix(args['gateway6'], false, 6)) throw invalidValue('gateway6');
}

function checkName(args: Row): void {
  if (args['name'] !== undefined && !/^[^\s/"\\]{1,64}$/.test(args['name'])) throw invalidValue('name');
}

export const vethMenu: MenuSpec = {
  path: 'interface/veth',
  nameField: 'name',
  unique: ['name'],
  uniqueScope: INTERFACE_SCOPE,
  duplicateDetail: DUPLICATE_INTERFACE,
  booleans: ['disabled', 'dhcp'],
  args: (p) => ['name', 'address', 'gateway', 'gateway6', 'comment', 'disabled', ...(p.vethDhcp ? ['dhcp', 'mac-address'] : [])],
  required: () => ['name'],
  defaults: (ctx) => ({ address: '', gateway: '', gateway6: '', disabled: 'false', ...(ctx.profile.vethDhcp ? { dhcp: 'false' } : {}) }),
  render: (row) => ({ ...row, running: row['disabled'] === 'true' ? 'false' : 'true' }),
  hooks: {
    validateAdd: (a) => {
      checkName(a);
      checkVethAddresses(a);
    },
    validateSet: (_r, a) => {
      checkName(a);
      checkVethAddresses(a);
    },
    afterRemove: (row, ctx) => removePortsOf(ctx, row['name'] ?? ''),
  },
};

export const bridgeMenu: MenuSpec = {
  path: 'interface/bridge',
  nameField: 'name',
  unique: ['name'],
  uniqueScope: INTERFACE_SCOPE,
  duplicateDetail: DUPLICATE_INTERFACE,
  booleans: ['disabled', 'vlan-filtering', 'auto-mac', 'ingress-filtering', 'igmp-snooping'],
  args: () => [
    'name', 'mtu', 'arp', 'protocol-mode', 'vlan-filtering', 'pvid', 'ingress-filtering', 'frame-types',
    'igmp-snooping', 'auto-mac', 'admin-mac', 'ageing-time', 'comment', 'disabled',
  ],
  required: () => ['name'],
  defaults: () => ({
    mtu: 'auto', 'actual-mtu': '1500', l2mtu: '65535', arp: 'enabled', 'protocol-mode': 'rstp', 'vlan-filtering': 'false',
    pvid: '1', 'auto-mac': 'true', 'ageing-time': '5m', disabled: 'false', dynamic: 'false', 'mac-address': '',
  }),
  render: (row) => ({ ...row, running: row['disabled'] === 'true' ? 'false' : 'true' }),
  hooks: {
    validateAdd: (a, ctx) => {
      checkName(a);
      // A stable locally administered MAC derived from the row count, like a fresh bridge.
      const n = ctx.state.menu('interface/bridge').rows().length + 1;
      return { 'mac-address': `02:00:00:00:00:${n.toString(16).toUpperCase().padStart(2, '0')}` };
    },
    validateSet: (_r, a) => checkName(a),
    afterRemove: (row, ctx) => {
      const ports = ctx.state.menu('interface/bridge/port');
      for (const p of ports.rows().filter((r) => r['bridge'] === row['name'])) ports.drop(p['.id'] as string);
      const addrs = ctx.state.menu('ip/address');
      for (const a of addrs.rows().filter((r) => r['interface'] === row['name'])) addrs.drop(a['.id'] as string);
    },
  },
};

function removePortsOf(ctx: MenuContext, name: string): void {
  const ports = ctx.state.menu('interface/bridge/port');
  for (const p of ports.rows().filter((r) => r['interface'] === name)) ports.drop(p['.id'] as string);
  const addrs = ctx.state.menu('ip/address');
  for (const a of addrs.rows().filter((r) => r['interface'] === name)) addrs.drop(a['.id'] as string);
}

function checkPort(args: Row, ctx: MenuContext): void {
  if (args['bridge'] !== undefined) {
    const b = findInterface(ctx, args['bridge']);
    if (!b || b.menu !== 'interface/bridge') throw noSuchItem('bridge');
  }
  if (args['interface'] !== undefined) {
    const i = findInterface(ctx, args['interface']);
    if (!i) throw noSuchItem('interface');
    if (args['interface'] === args['bridge']) throw invalidValue('interface');
  }
}

export const bridgePortMenu: MenuSpec = {
  path: 'interface/bridge/port',
  unique: ['interface'],
  duplicateDetail: 'failure: device already added as bridge port',
  booleans: ['disabled', 'edge', 'learn', 'trusted', 'ingress-filtering', 'hw'],
  args: () => ['bridge', 'interface', 'pvid', 'frame-types', 'ingress-filtering', 'edge', 'horizon', 'hw', 'learn', 'trusted', 'comment', 'disabled'],
  required: () => ['bridge', 'interface'],
  defaults: () => ({ pvid: '1', 'frame-types': 'admit-all', horizon: 'none', hw: 'true', disabled: 'false', dynamic: 'false', inactive: 'false' }),
  render: (row) => ({ ...row, status: row['disabled'] === 'true' ? 'inactive' : 'in-bridge' }),
  hooks: {
    validateAdd: (a, ctx) => checkPort(a, ctx),
    validateSet: (_r, a, ctx) => checkPort(a, ctx),
  },
};
