// csi-node: the CSI Identity + Node services of the RDS NVMe/TCP driver (a DaemonSet). Wires
// config, the host tools, the node state and the gRPC server on the kubelet's unix socket.
import { join } from 'node:path';
import { identityHandlers, startCsiServer } from '@mikrotik-kube/csi-common';
import { contracts } from '@mikrotik-kube/proto';
import { createService, every } from '@mikrotik-kube/service-kit';
import { configSchema, type NodeConfig } from './config';
import type { NodeDeps } from './deps';
import { FsTools } from './filesystem';
import { KubeletPaths } from './kubelet-paths';
import { NodeMetrics } from './metrics';
import { Mounter } from './mounter';
import { MountTable } from './mountinfo';
import { nodeHandlers } from './node-service';
import { NodeState } from './node-state';
import { NvmeAttacher } from './nvme-attach';
import { NvmeCli } from './nvme-cli';
import { NvmeSysfs } from './nvme-sysfs';
import { recoverVolumes } from './recovery';
import { VolumeLocks } from './volume-locks';

const VERSION = '0.1.0';
const svc = createService<NodeConfig>({ name: 'csi-node', envPrefix: 'CSI_NODE_', schema: configSchema });
const { config, logger, shutdown } = svc;
const n = config.nvme;

const state = new NodeState(config.stateFile || join(config.kubeletDir, 'plugins', config.driverName, 'node-state.json'));
state.load();
const sysfs = new NvmeSysfs(config.sysfsRoot, config.devRoot);
const cli = new NvmeCli({ bin: n.bin, devRoot: config.devRoot, hostNqnFile: n.hostNqnFile, timeoutMs: n.timeoutMs });
const deps: NodeDeps = {
  state,
  attacher: new NvmeAttacher(cli, sysfs, { managedPrefix: n.managedNqnPrefix || `${n.nqnPrefix}:`, deviceWaitMs: n.deviceWaitMs, detachWaitMs: n.detachWaitMs, pollMs: 100 }),
  fs: new FsTools(config.toolTimeoutMs),
  mounter: new Mounter(new MountTable(config.mountInfo), config.toolTimeoutMs),
  paths: new KubeletPaths(config.kubeletDir),
  logger,
  metrics: new NodeMetrics(svc.metrics, () => state.all().length),
  defaultFs: config.defaultFsType,
  nqnPrefix: n.nqnPrefix,
  resizeWaitMs: n.resizeWaitMs,
};
const locks = new VolumeLocks();

// Rediscover before serving: the kubelet may call right after the socket appears.
const recovered = await recoverVolumes(deps, locks);
logger.info('node state recovered', { volumes: recovered.checked, repaired: recovered.repaired, failed: recovered.failed });
if (config.recoveryIntervalSeconds > 0) {
  const loop = every('volume recovery', config.recoveryIntervalSeconds * 1000, () => recoverVolumes(deps, locks), logger, { delayFirst: true });
  shutdown.add('recovery loop', () => loop.stop());
}

const csi = contracts.csi();
const server = await startCsiServer({
  endpoint: config.endpoint,
  logger,
  metrics: svc.metrics,
  maxMessageBytes: config.grpc.maxMessageBytes,
  services: [
    { definition: csi.Identity.service, impl: identityHandlers({ driverName: config.driverName, version: VERSION, onlineExpansion: true }) },
    { definition: csi.Node.service, impl: nodeHandlers(deps, locks, { nodeId: config.nodeId, maxVolumesPerNode: config.maxVolumesPerNode, topology: config.topology }) },
  ],
});
shutdown.add('csi server', () => server.stop(config.shutdownTimeoutSeconds * 500));
await svc.startOps();
svc.markReady();
logger.info('csi-node listening', { socket: server.socketPath, nodeId: config.nodeId, kubeletDir: config.kubeletDir });
