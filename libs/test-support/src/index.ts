export { startTsProcess, startProcess, freePort, waitFor, repoRoot } from './process';
export type { ProcessHandle, StartOptions } from './process';
