// mkube install / uninstall / doctor: mikrotik-kube onto a router (the original Go mikrotik-kube's Quick Start, idempotent).
export { containerConfig, install, PreflightFailed } from './install';
export type { InstallRequest } from './install';
export { DEFAULTS, INSTALL_TAG, MIN_ROUTEROS } from './plan';
export type { InstallOptions } from './plan';
export { formatFindings, preflight } from './preflight';
export type { Finding, PreflightReport } from './preflight';
export { uninstall } from './uninstall';
