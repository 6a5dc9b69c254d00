// Maps REST verbs and paths onto menu operations (docs/routeros.md "REST API"):
// GET=print, PUT=add, PATCH=set, DELETE=remove, POST=command.
import { RosError, badRequest } from '../state/errors';
import type { Menu, SimState } from '../state/store';
import type { Row } from '../state/values';
import { refsOf } from '../containers/menus';
import { matchesFilters, matchesQuery, parseProplist, project } from './query';

export interface RestRequest {
  method: string;
  /** Raw path segments after `/rest`, still percent-encoded. */
  segments: string[];
  query: URLSearchParams;
  body: Record<string, unknown> | undefined;
}

export interface RestReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const GENERIC = new Set(['add', 'set', 'remove', 'print', 'get', 'find', 'export', 'edit', 'enable', 'disable', 'reset', 'unset', 'comment']);

function decode(seg: string): string {
  // RouterOS does not decode %2A: `*` must be sent raw.
  if (/%2a/i.test(seg)) throw badRequest('no such command prefix');
  try {
    return decodeURIComponent(seg);
  } catch {
    throw badRequest('no such command prefix');
  }
}

/** Splits segments into the longest registered menu and the rest. */
export function resolveMenu(state: SimState, raw: string[]): { menu: Menu; rest: string[] } {
  const segs = raw.filter((s) => s !== '');
  const paths = state.paths();
  let best = -1;
  for (let i = 1; i <= segs.length; i++) {
    const p = segs.slice(0, i).join('/');
    if (state.has(p)) best = i;
    if (!paths.some((m) => m === p || m.startsWith(`${p}/`))) {
      if (best < 0) throw badRequest(`no such command or directory (${decode(segs[i - 1] ?? '')})`);
      break;
    }
  }
  if (best < 0) throw badRequest(`no such command or directory (${segs[segs.length - 1] ?? ''})`);
  return { menu: state.menu(segs.slice(0, best).join('/')), rest: segs.slice(best).map(decode) };
}

export async function dispatch(state: SimState, req: RestRequest): Promise<RestReply> {
  const { menu, rest } = resolveMenu(state, req.segments);
  const single = menu.spec.singleton === true;
  switch (req.method) {
    case 'GET': {
      const props = parseProplist(req.query.get('.proplist') ?? undefined);
      if (rest.length === 0) {
        if (single) return { status: 200, body: project(menu.single(), props, false) };
        const filters = [...req.query.entries()].filter(([k]) => k !== '.proplist');
        return { status: 200, body: menu.list(props, (r) => matchesFilters(r, filters)).map((r) => project(r, props, true)) };
      }
      if (rest.length > 1 || single || isCommand(menu, rest[0] as string)) throw badRequest('no such command');
      return { status: 200, body: project(menu.get(rest[0] as string), props, false) };
    }
    case 'PUT': {
      if (rest.length > 0 || single) throw badRequest('no such command');
      const row = menu.add(req.body ?? {});
      return { status: 201, body: menu.view(row, true), headers: { location: `/rest/${menu.path}/${row['.id']}` } };
    }
    case 'PATCH': {
      if (rest.length !== 1 || single) throw badRequest('missing or invalid resource identifier');
      const row = menu.set(rest[0] as string, req.body ?? {});
      return { status: 200, body: menu.view(row, true) };
    }
    case 'DELETE': {
      if (rest.length !== 1 || single) throw badRequest('missing or invalid resource identifier');
      menu.remove(rest[0] as string);
      return { status: 204 };
    }
    case 'POST': {
      if (rest.length !== 1) throw badRequest(`no such command or directory (${rest[rest.length - 1] ?? menu.path.split('/').pop()})`);
      return { status: 200, body: await command(menu, rest[0] as string, req.body ?? {}) };
    }
    case 'HEAD':
      throw new RosError(501);
    case 'OPTIONS':
      throw new RosError(503);
    default:
      throw badRequest('no such command');
  }
}

function isCommand(menu: Menu, word: string): boolean {
  return GENERIC.has(word) || menu.spec.commands?.[word] !== undefined;
}

/**
 * Item commands get their `.id` in the body and run as API commands, so an unknown id is the
 * API's `no such item` trap (400), not the 404 of an unknown path.
 */
async function command(menu: Menu, cmd: string, body: Record<string, unknown>): Promise<unknown> {
  try {
    return await runCommand(menu, cmd, body);
  } catch (e) {
    if (e instanceof RosError && e.status === 404) throw badRequest('no such item');
    throw e;
  }
}

async function runCommand(menu: Menu, cmd: string, body: Record<string, unknown>): Promise<unknown> {
  const own = menu.spec.commands?.[cmd];
  if (own) return own(body, menu.state.context);
  switch (cmd) {
    case 'add': {
      if (menu.spec.singleton) break;
      return { ret: menu.add(body)['.id'] };
    }
    case 'set': {
      if (menu.spec.singleton) {
        menu.set('', body);
        return [];
      }
      const { '.id': _i, numbers: _n, number: _m, ...args } = body;
      for (const ref of refsOf(body)) menu.set(ref, args);
      return [];
    }
    case 'remove': {
      if (menu.spec.singleton) break;
      for (const ref of refsOf(body)) menu.remove(ref);
      return [];
    }
    case 'print':
      return print(menu, body);
  }
  throw badRequest(`no such command or directory (${cmd})`);
}

function print(menu: Menu, body: Record<string, unknown>): unknown {
  const props = parseProplist(body['.proplist']);
  if (menu.spec.singleton) return [project(menu.single(), props, false)];
  const q = body['.query'];
  const words = q === undefined ? [] : Array.isArray(q) ? q.map(String) : typeof q === 'string' ? [q] : undefined;
  if (!words) throw badRequest('invalid value for argument .query');
  const rows: Row[] = menu.list(props, (r) => matchesQuery(r, words));
  if (body['count-only'] !== undefined) return { ret: String(rows.length) };
  return rows.map((r) => project(r, props, true));
}
