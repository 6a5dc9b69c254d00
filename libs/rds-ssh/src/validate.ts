// Allow-lists for identifiers that end up on a RouterOS command line. Quoting already
// makes any value inert; these checks make bad names fail early with a clear message
// and keep what we create on the router predictable.
import { RdsError } from './errors';

const SLOT = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const NQN = /^nqn\.\d{4}-\d{2}\.[a-z0-9][a-z0-9.-]*:[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const MAX_NQN_BYTES = 223;

function invalid(what: string, value: unknown, why: string): RdsError {
  return new RdsError('invalid-input', `invalid ${what} ${JSON.stringify(value)}: ${why}`);
}

export function validateSlot(slot: string, what = 'slot'): string {
  if (typeof slot !== 'string' || !SLOT.test(slot)) {
    throw invalid(what, slot, 'use 1-128 letters, digits, "-" or "_", starting with a letter or digit');
  }
  return slot;
}

/** A relative RouterOS name made of safe segments ("Snapshots/pvc-1", "pool/vols"). */
export function validateRelativeName(name: string, what = 'name'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255) throw invalid(what, name, 'empty or too long');
  for (const seg of name.split('/')) {
    if (!SEGMENT.test(seg) || seg === '.' || seg === '..') {
      throw invalid(what, name, 'path segments may hold letters, digits, ".", "-" and "_" only');
    }
  }
  return name;
}

/** An absolute base directory such as "/storage-pool/metal-csi" (no trailing slash). */
export function validateBasePath(base: string): string {
  if (typeof base !== 'string' || !base.startsWith('/')) throw invalid('base path', base, 'must be absolute');
  validateRelativeName(base.slice(1), 'base path');
  return base;
}

/** An absolute file path that lies strictly inside one of the allowed base directories. */
export function validateFilePath(path: string, allowedBases: readonly string[]): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw invalid('file path', path, 'must be absolute');
  validateRelativeName(path.slice(1), 'file path');
  if (!allowedBases.some((b) => path.startsWith(`${b}/`))) {
    throw invalid('file path', path, `must lie under ${allowedBases.join(' or ') || '(no base configured)'}`);
  }
  return path;
}

export function validateNqn(nqn: string): string {
  if (typeof nqn !== 'string' || !NQN.test(nqn) || Buffer.byteLength(nqn) > MAX_NQN_BYTES) {
    throw invalid('NQN', nqn, 'expected nqn.YYYY-MM.reverse.domain:name, at most 223 bytes');
  }
  return nqn;
}

/**
 * Free text (comments). Quoting makes any text safe on the command line, but print output
 * shows comments raw on `;;;` lines, so line breaks and control characters are refused.
 */
export function validateComment(text: string): string {
  const control = (ch: string) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f;
  if (typeof text !== 'string' || text.length > 255 || [...text].some(control)) {
    throw invalid('comment', text, 'at most 255 characters, no line breaks or control characters');
  }
  return text;
}

export function validatePort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid('port', port, 'must be 1-65535');
  return port;
}

export function validateSize(bytes: number): number {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw invalid('size', bytes, 'must be a positive integer byte count');
  return bytes;
}
