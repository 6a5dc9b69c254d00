export { readJson, readJsonSync, writeFileAtomic, writeFileAtomicSync, writeJsonAtomic, writeJsonAtomicSync } from './atomic';
export { JsonStateFile } from './state-file';
export type { StateFileOptions } from './state-file';
