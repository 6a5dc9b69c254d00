// Extension points for modules that add a face or behaviour to the simulator (the SSH CLI,
// file-disk semantics). A plugin gets the same state the REST face uses.
import type { ContainerRuntime } from './containers/runtime';
import type { FileStore } from './files/store';
import type { Faults } from './faults';
import type { MenuContext } from './state/menu-spec';
import type { SimState } from './state/store';
import type { SimArch } from './menus/system';

export interface SimContext extends MenuContext {
  state: SimState;
  arch: SimArch;
  /** Root of persisted state; files of the simulated router live under `files.root`. */
  dataDir: string;
  files: FileStore;
  faults: Faults;
  containers: ContainerRuntime;
  /** Accepted users (name → password); the SSH face authenticates against the same list. */
  users: ReadonlyMap<string, string>;
  /** Appends a line to `/log`. */
  log(topics: string, message: string): void;
}

export interface StartedPlugin {
  /** URLs printed in the ready line, e.g. `{ ssh: 'ssh://127.0.0.1:2222' }`. */
  urls?: Record<string, string>;
  stop(): Promise<void>;
}

export interface SimPlugin {
  name: string;
  /** Runs once after the core menus are registered: register menus, `state.setHooks(…)`. */
  setup?(ctx: SimContext): void;
  /** Runs at `Simulator.start()`; may open listeners (e.g. the SSH port). */
  start?(ctx: SimContext): Promise<StartedPlugin>;
}
