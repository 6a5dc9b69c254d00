// The chart's uninstall hook (apps/uninstall): what a Helm release made on the router, removed, and
// its Virtual Kubelet Node deleted. Apart from index.ts so that mkube never loads the Kubernetes client.
export { uninstallChartRelease, uninstallSchema } from './chart-uninstall';
export type { ChartUninstallOptions, UninstallConfig } from './chart-uninstall';
export { releaseLeftovers, removeReleaseFromRouter } from './release-cleanup';
export type { Leftovers, ReleaseDirs } from './release-cleanup';
