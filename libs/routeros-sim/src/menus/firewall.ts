// /ip/firewall/nat (routeros-reference.md §3.4): a plain list; unset matchers are absent.
import type { MenuSpec } from '../state/menu-spec';

export const natMenu: MenuSpec = {
  path: 'ip/firewall/nat',
  unique: [],
  booleans: ['disabled', 'log'],
  args: () => ['chain', 'action', 'src-address', 'dst-address', 'protocol', 'src-port', 'dst-port', 'in-interface', 'out-interface', 'to-addresses', 'to-ports', 'place-before', 'comment', 'disabled', 'log', 'log-prefix'],
  required: () => ['chain'],
  defaults: () => ({ action: 'accept', disabled: 'false', dynamic: 'false', invalid: 'false', log: 'false', 'log-prefix': '', bytes: '0', packets: '0' }),
};
