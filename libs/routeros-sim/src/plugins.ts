// Plugins loaded by default: file-disk semantics (always), the SSH CLI when `sshPort` is set and
// the NVMe/TCP face when `nvmeHost` is.
import { nvmeTcpPlugin } from './disk/nvme-tcp';
import { diskPlugin } from './disk/plugin';
import type { SimPlugin } from './plugin';
import type { SimulatorOptions } from './simulator';
import { sshPlugin } from './ssh/plugin';

export function builtinPlugins(options: SimulatorOptions): SimPlugin[] {
  return [
    diskPlugin(),
    ...(options.sshPort !== undefined ? [sshPlugin({ port: options.sshPort, host: options.host })] : []),
    ...(options.nvmeHost ? [nvmeTcpPlugin({ host: options.nvmeHost })] : []),
  ];
}
