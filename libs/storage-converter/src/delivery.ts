// How a tarball gets onto the router. REST refuses bodies over ~10 MB, so the router
// either downloads it (/tool/fetch of a signed URL any replica serves) or we upload it over SFTP.
import type { ProgressFn } from './converter';

export type DeliveryMode = 'fetch' | 'sftp' | 'remote';

export interface Deliverer {
  readonly mode: Exclude<DeliveryMode, 'remote'>;
  /** Puts the local file at `routerFile` (parent directories exist); resolves once complete there. */
  deliver(localPath: string, size: number, routerFile: string, progress: ProgressFn): Promise<void>;
}
