// Plugins loaded by default. The SSH engineer (issue #5) adds the SSH CLI and the file-disk
// semantics here, e.g. `...(o.sshPort !== undefined ? [sshPlugin({ port: o.sshPort })] : []), diskPlugin()`.
import type { SimPlugin } from './plugin';
import type { SimulatorOptions } from './simulator';

export function builtinPlugins(_options: SimulatorOptions): SimPlugin[] {
  return [];
}
