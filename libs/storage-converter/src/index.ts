// The storage-converter service's modules; apps/storage-converter wires them into its process (and the all-in-one entry can host them too).
export { storageSchema } from './config';
export type { StorageConfig } from './config';
export { Converter } from './converter';
export type { Deliverer } from './delivery';
export { FetchDeliverer, FetchServer } from './delivery-fetch';
export { SftpDeliverer } from './delivery-sftp';
export { StorageError } from './errors';
export { GarbageCollector } from './gc';
export { ImageCache } from './image-cache';
export { ImageSource, parseImage } from './image-source';
export { ImageManager } from './images';
export { registerStorageMetrics } from './metrics';
export { OrphanCleaner } from './orphans';
export { parseRouterArch } from './platform';
export { progressPrinter } from './progress-bar';
export { imagesHandlers, volumesHandlers } from './service';
export { VolumeManager } from './volumes';
