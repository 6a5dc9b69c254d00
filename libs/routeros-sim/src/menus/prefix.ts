// IPv4/IPv6 prefix parsing shared by the address-carrying menus.
import { Address4, Address6 } from 'ip-address';

/** Parses `a.b.c.d[/len]` or an IPv6 prefix; `withPrefix=false` refuses a length. */
export function parsePrefix(s: string, withPrefix: boolean, family?: 4 | 6): Address4 | Address6 | undefined {
  if (!withPrefix && s.includes('/')) return undefined;
  if (family !== 6 && Address4.isValid(s)) return new Address4(s);
  if (family !== 4 && Address6.isValid(s)) return new Address6(s);
  return undefined;
}
