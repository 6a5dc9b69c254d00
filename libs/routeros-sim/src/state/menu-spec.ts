// How a RouterOS menu behaves: which arguments it takes (per version), what must be unique,
// how rows are rendered, and hooks other modules plug validation into.
import type { SimState } from './store';
import type { VersionProfile } from './version';
import type { Row } from './values';

export interface MenuContext {
  state: SimState;
  profile: VersionProfile;
}

/**
 * Validation and side effects around writes. Throw a `RosError` to refuse the change (nothing
 * is stored). Returned fields are merged into the stored row (derived or defaulted values).
 */
export interface MenuHooks {
  validateAdd?(args: Row, ctx: MenuContext): Row | void;
  validateSet?(row: Row, args: Row, ctx: MenuContext): Row | void;
  validateRemove?(row: Row, ctx: MenuContext): void;
  afterAdd?(row: Row, ctx: MenuContext): void;
  afterSet?(row: Row, before: Row, ctx: MenuContext): void;
  afterRemove?(row: Row, ctx: MenuContext): void;
}

/** A command reachable as `POST /rest/<menu>/<name>` (and `/<menu>/<name>` in the CLI). */
export type MenuCommand = (args: Record<string, unknown>, ctx: MenuContext) => unknown;

export interface MenuSpec {
  /** Slash path without leading slash, e.g. `interface/bridge/port`. */
  path: string;
  /** Singleton menus (`/system/resource`, `/container/config`) hold exactly one object. */
  singleton?: boolean;
  /** Field that may stand in for `.id` in paths (`name`; `slot` for `/disk`). */
  nameField?: string;
  /** Fields whose values must be unique among rows. */
  unique?: string[];
  /** Menus sharing a scope share `nameField` uniqueness (all interfaces share one namespace). */
  uniqueScope?: string;
  /** Detail of the duplicate error (default `failure: already have such entry`). */
  duplicateDetail?: string;
  /** Accepted add/set arguments for this version; `undefined` accepts any. */
  args?(profile: VersionProfile): readonly string[] | undefined;
  /** Arguments `add` requires. */
  required?(profile: VersionProfile): readonly string[];
  /** Fields stored as `true`/`false`; requests may send yes/no/true/false. */
  booleans?: readonly string[];
  /** Rows of a menu users cannot change (`/log`, `/system/resource`). */
  readOnly?: boolean;
  /** Fields every new row starts with (overridden by the request). */
  defaults?(ctx: MenuContext): Row;
  /** The reply view of a stored row (computed or version-specific fields). */
  render?(row: Row, ctx: MenuContext): Row;
  /**
   * Costly fields a list leaves out unless its `.proplist` names them, while a read of one row
   * shows them: RouterOS lists `/file` without `contents` (which `get` returns).
   */
  onDemand?: { fields: readonly string[]; render(row: Row, ctx: MenuContext): Row };
  /** Rows present on a fresh router. */
  initial?(ctx: MenuContext): Row[];
  hooks?: MenuHooks;
  commands?: Record<string, MenuCommand>;
}
