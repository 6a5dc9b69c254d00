// The all-in-one process (apps/mikrotik-kube): its config and the wiring that hosts every platform service's part.
export { allInOneSchema } from './config';
export type { AllInOneConfig } from './config';
export { deriveConfigs } from './derive';
export type { ServiceConfigs } from './derive';
export { prepareAllInOne, startAllInOne } from './start';
