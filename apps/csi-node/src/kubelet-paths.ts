// Staging and target paths come from the CO; they must stay under the kubelet directory so a
// bad request can never mount over (or unmount, or remove) anything else on the host.
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, normalize, resolve, sep } from 'node:path';
import { grpcError, status } from '@mikrotik-kube/grpc-kit';

export class KubeletPaths {
  private readonly root: string;
  private readonly realRoot: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.realRoot = this.realExisting(this.root);
  }

  get dir(): string {
    return this.root;
  }

  /**
   * Checks a CO-supplied path: absolute, no `..`, no control characters, strictly below the
   * root, and (for the deepest part that exists) not escaping the root through a symlink.
   */
  check(field: string, path: string): string {
    if (!path) throw grpcError(status.INVALID_ARGUMENT, `${field} is required`);
    if (!isAbsolute(path) || path.length > 4096 || [...path].some((c) => c.charCodeAt(0) < 0x20)) {
      throw grpcError(status.INVALID_ARGUMENT, `${field} must be an absolute path without control characters`);
    }
    if (path.split('/').includes('..')) throw grpcError(status.INVALID_ARGUMENT, `${field} must not contain ..`);
    const p = normalize(path).replace(/\/+$/, '');
    if (!this.under(this.root, p)) throw grpcError(status.INVALID_ARGUMENT, `${field} ${path} is outside the kubelet directory ${this.root}`);
    const real = this.realExisting(p);
    if (!this.under(this.realRoot, real)) throw grpcError(status.INVALID_ARGUMENT, `${field} ${path} resolves outside the kubelet directory`);
    return p;
  }

  private under(root: string, p: string): boolean {
    return p.startsWith(root + sep) || (root === sep && p !== sep);
  }

  /** realpath of the deepest existing ancestor, with the missing tail appended. */
  private realExisting(p: string): string {
    let dir = p;
    let tail = '';
    for (;;) {
      try {
        return resolve(realpathSync(dir), tail);
      } catch {
        const parent = dirname(dir);
        if (parent === dir) return p;
        tail = tail ? `${dir.slice(parent.length + 1)}/${tail}` : dir.slice(parent.length + 1);
        dir = parent;
      }
    }
  }
}
