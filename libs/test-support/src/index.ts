export { startTsProcess, startProcess, freePort, freeLoopbackAddress, waitFor, repoRoot } from './process';
export type { ProcessHandle, StartOptions } from './process';
export { chromiumUnavailable, startChromium } from './chromium';
export type { Browser } from './chromium';
