// /ip/address (docs/routeros.md "Network"): network derived from address, /32 when no length.
import { Address4 } from 'ip-address';
import { invalidValue, noSuchItem } from '../state/errors';
import type { MenuSpec } from '../state/menu-spec';
import type { Row } from '../state/values';
import { findInterface } from './interfaces';
import { parsePrefix } from './prefix';

function deriveAddress(args: Row): Row {
  const raw = args['address'];
  if (raw === undefined) return {};
  const a = parsePrefix(raw, true, 4);
  if (!a || !(a instanceof Address4)) throw invalidValue('address');
  const address = `${a.addressMinusSuffix}/${a.subnetMask}`;
  const network = args['network'] ?? a.startAddress().correctForm();
  return { address, network };
}

export const ipAddressMenu: MenuSpec = {
  path: 'ip/address',
  unique: [],
  booleans: ['disabled'],
  args: () => ['address', 'interface', 'network', 'broadcast', 'netmask', 'comment', 'disabled'],
  required: () => ['address', 'interface'],
  defaults: () => ({ disabled: 'false', dynamic: 'false', invalid: 'false', slave: 'false', vrf: 'main' }),
  render: (row) => ({ ...row, 'actual-interface': row['interface'] ?? '' }),
  hooks: {
    validateAdd: (a, ctx) => {
      if (!findInterface(ctx, a['interface'] ?? '')) throw noSuchItem('interface');
      return deriveAddress(a);
    },
    validateSet: (_r, a, ctx) => {
      if (a['interface'] !== undefined && !findInterface(ctx, a['interface'])) throw noSuchItem('interface');
      return deriveAddress(a);
    },
  },
};
