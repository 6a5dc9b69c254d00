// The boot-supervisor service's modules; apps/boot-supervisor wires them into its process (and the all-in-one entry can host them too).
export { configSchema } from './config';
export type { SupervisorConfig } from './config';
export { createElector, loadLeaseElector, SoloElector } from './leader';
export { SupervisorMetrics } from './metrics';
export { RouterOsRouter } from './routeros-router';
export { supervisorService } from './service';
export { StateFile } from './state-file';
export { Supervisor } from './supervisor';
export { startSupervisor } from './part';
