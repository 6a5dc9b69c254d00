// Names and tags of what ipam creates on the router.
//
// The veth name is derived from the address, so creating it is an atomic
// claim of the address: RouterOS refuses a second interface with the same
// name. Names use 8 hex digits ("mk-0a140005" for 10.20.0.5) because
// RouterOS 7.20+ reportedly limits veth names to 14 characters and Linux to
// 15; a dotted "mk-10.20.0.5" could need 18.
//
// The comment tags the veth and its bridge port as ours and carries the owner
// percent-encoded, so any owner string (spaces, quotes, "=", non-ASCII)
// round-trips and nothing of it is interpreted by RouterOS.

export const VETH_PREFIX = 'mk-';
const TAG_PREFIX = 'mikrotik-kube:ipam';
const TAG_RE = /^mikrotik-kube:ipam owner=([A-Za-z0-9\-_.!~*'()%]+) network=([a-z0-9-]+)$/;

/** Longest owner accepted ("<namespace>/<pod>" is at most 63 + 1 + 253). */
export const MAX_OWNER_LENGTH = 317;

export function vethName(ip: number): string {
  return VETH_PREFIX + (ip >>> 0).toString(16).padStart(8, '0');
}

/** The address a veth name claims, or undefined for names not made by vethName. */
export function addressOfVethName(name: string): number | undefined {
  const m = /^mk-([0-9a-f]{8})$/.exec(name);
  return m?.[1] ? parseInt(m[1], 16) : undefined;
}

export function tag(owner: string, network: string): string {
  return `${TAG_PREFIX} owner=${encodeURIComponent(owner)} network=${network}`;
}

/** Owner and network of one of our tags; undefined for anything else. */
export function parseTag(comment: string | undefined): { owner: string; network: string } | undefined {
  const m = comment ? TAG_RE.exec(comment) : null;
  if (!m?.[1] || !m[2]) return undefined;
  try {
    return { owner: decodeURIComponent(m[1]), network: m[2] };
  } catch {
    return undefined;
  }
}

/** Why an owner is unacceptable, or undefined when it is fine. */
export function ownerProblem(owner: string): string | undefined {
  if (owner === '') return 'owner must not be empty';
  if (owner.length > MAX_OWNER_LENGTH) return `owner is longer than ${MAX_OWNER_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(owner)) return 'owner must not contain control characters';
  if (/[\uD800-\uDFFF]/.test(owner.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, ''))) return 'owner is not valid Unicode';
  return undefined;
}
