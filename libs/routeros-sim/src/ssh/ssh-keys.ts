// `/user/ssh-keys`: public keys a user may log in with over SSH. RouterOS imports them from
// an uploaded file (`import public-key-file=id.pub user=admin`); the simulator also takes
// keys from plugin options. The key itself is internal (`_key`) and never printed.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { FileStore } from '../files/store';
import { badRequest, missingArgument } from '../state/errors';
import type { MenuSpec } from '../state/menu-spec';
import type { Row } from '../state/values';
import type { SimState } from '../state/store';

export const SSH_KEYS_MENU = 'user/ssh-keys';

/** Parses an OpenSSH public key line; throws `failure: …` text when it is not one. */
export function keyRow(user: string, line: string): Row {
  const parsed = ssh2.utils.parseKey(line.trim());
  if (parsed instanceof Error || parsed.isPrivateKey()) throw badRequest('failure: unable to load key file (wrong format or bad passphrase)!');
  return {
    user,
    'key-type': parsed.type.replace(/^ssh-/, ''),
    'key-owner': parsed.comment || line.trim().split(/\s+/)[2] || '',
    _key: parsed.getPublicSSH().toString('base64'),
  };
}

export function sshKeysMenu(files: FileStore, users: ReadonlyMap<string, string>): MenuSpec {
  return {
    path: SSH_KEYS_MENU,
    args: () => ['user', 'comment'],
    hooks: {
      // Keys come only through `import` (like the router); a plain add has no key.
      validateAdd: () => {
        throw badRequest('failure: use import');
      },
    },
    commands: {
      import: (args, ctx) => {
        const file = String(args['public-key-file'] ?? '');
        const user = String(args['user'] ?? '');
        if (!file) throw missingArgument('public-key-file');
        if (!users.has(user)) throw badRequest('input does not match any value of user');
        const entry = files.stat(file);
        if (!entry || entry.type !== 'file') throw badRequest('failure: no such file');
        if (entry.size > 64 * 1024) throw badRequest('failure: unable to load key file (wrong format or bad passphrase)!');
        const text = readFileSync(files.resolve(file), 'utf8');
        ctx.state.menu(SSH_KEYS_MENU).insert(keyRow(user, text));
        return [];
      },
    },
  };
}

/** Base64 SSH wire keys a user may present. */
export function userKeys(state: SimState, user: string): string[] {
  return state
    .menu(SSH_KEYS_MENU)
    .rows()
    .filter((r) => r['user'] === user)
    .map((r) => r['_key'] as string);
}
