// The standalone loop: pods file → reconcile passes (core/pass-loop.ts decides
// when: start, file change, resync, retry). A file that cannot be loaded keeps
// the previous pods; nothing is removed because of it.
import type { Logger } from '@mikrotik-kube/service-kit';
import { PassLoop } from '../core/pass-loop';
import type { DesiredPod, Reconciler } from '../core/reconciler';
import { needsFiles, resolveVolumeFiles } from '../core/volume-files';
import type { PodFile, PodFileSource } from './pod-file';

/** The pod's ConfigMap/Secret volume files from the documents of the same file. */
async function withFiles(d: DesiredPod, file: PodFile): Promise<DesiredPod> {
  if (d.errors?.length || !needsFiles(d.pod)) return d;
  const lookups = { configMap: async (ns: string, name: string) => file.configMaps.get(`${ns}/${name}`), secret: async (ns: string, name: string) => file.secrets.get(`${ns}/${name}`) };
  try {
    return { ...d, files: await resolveVolumeFiles(d.pod, lookups) };
  } catch (e) {
    return { ...d, errors: [(e as Error).message], errorReason: 'CreateContainerConfigError' };
  }
}

export interface ControllerOptions {
  source: PodFileSource;
  reconciler: Reconciler;
  logger: Logger;
  resyncMs: number;
}

export class StandaloneController {
  private readonly loop: PassLoop;

  constructor(private readonly o: ControllerOptions) {
    this.loop = new PassLoop((reason, gc) => this.pass(reason, gc), o.resyncMs, o.logger);
  }

  start(): void {
    this.o.source.watch();
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.o.source.close();
    await this.loop.stop();
  }

  trigger(reason: string): void {
    this.loop.trigger(reason);
  }

  private async pass(reason: string, collectGarbage: boolean): Promise<{ failed: boolean }> {
    const { source, reconciler, logger } = this.o;
    const file = await source.load();
    if (source.state.error) logger.error('pods file not loaded; keeping the previous pods', { path: source.state.path, error: source.state.error });
    if (!file) return { failed: false };
    for (const e of file.errors) logger.warn('pods file entry ignored', { path: source.state.path, error: e });
    const r = await reconciler.sync(await Promise.all(file.pods.map((d) => withFiles(d, file))), collectGarbage, reason);
    return { failed: r.failed.length > 0 };
  }
}
