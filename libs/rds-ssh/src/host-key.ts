// Host-key pinning: the server key must match a configured SHA256 fingerprint, an
// OpenSSH public-key line, or a known_hosts entry for this host — unless unknown hosts
// are explicitly allowed.
import { createHash, createHmac } from 'node:crypto';

export interface HostKeyPolicy {
  /** `SHA256:<base64>` fingerprints or `<type> <base64> [comment]` public-key lines. */
  pins?: string[];
  /** Contents of a known_hosts file (plain or hashed `|1|` host names). */
  knownHosts?: string;
  /** Accept any key. Only for labs; must be set explicitly. */
  allowUnknown?: boolean;
}

export function fingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

function hostPatterns(host: string, port: number): string[] {
  return port === 22 ? [host, `[${host}]:22`] : [`[${host}]:${port}`];
}

function hostMatches(field: string, host: string, port: number): boolean {
  const names = hostPatterns(host, port);
  return field.split(',').some((h) => {
    const hashed = /^\|1\|([^|]+)\|(.+)$/.exec(h);
    if (!hashed) return names.includes(h);
    const salt = Buffer.from(hashed[1] as string, 'base64');
    return names.some((n) => createHmac('sha1', salt).update(n).digest('base64') === hashed[2]);
  });
}

/** A pin as a fingerprint: `SHA256:…` as given, a public-key line by its key. */
function pinFingerprint(pin: string): string {
  if (pin.startsWith('SHA256:')) return pin.replace(/=+$/, '');
  const b64 = pin.split(/\s+/)[1];
  return b64 ? fingerprint(Buffer.from(b64, 'base64')) : pin;
}

/** Returns why the key is refused, or undefined when it is accepted. */
export function checkHostKey(policy: HostKeyPolicy, host: string, port: number, key: Buffer): string | undefined {
  if (policy.allowUnknown) return undefined;
  const fp = fingerprint(key);
  const b64 = key.toString('base64');
  for (const pin of policy.pins ?? []) {
    const p = pin.trim();
    if (p.startsWith('SHA256:') ? p.replace(/=+$/, '') === fp : p.split(/\s+/)[1] === b64) return undefined;
  }
  for (const line of (policy.knownHosts ?? '').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 3 || f[0]?.startsWith('#') || f[0]?.startsWith('@')) continue;
    if (f[2] === b64 && hostMatches(f[0] as string, host, port)) return undefined;
  }
  // Both sides, so whoever reads the log sees what to fix (a re-keyed host or a wrong pin).
  const pinned = (policy.pins ?? []).map((p) => pinFingerprint(p.trim()));
  const expected = pinned.length ? `pinned ${pinned.join(', ')}` : policy.knownHosts ? 'no matching known_hosts entry' : 'nothing pinned';
  return `host key ${fp} of ${host}:${port} is not pinned (${expected})`;
}
