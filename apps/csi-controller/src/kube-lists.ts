// Complete (paginated) lists from the Kubernetes API for the reconcilers. A failed list
// throws: a reconciler must never act on a partial picture.
import type { CoreV1Api, StorageV1Api, V1PersistentVolume, V1VolumeAttachment } from '@kubernetes/client-node';

const PAGE = 500;

async function all<T>(page: (cont: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>): Promise<T[]> {
  const out: T[] = [];
  let cont: string | undefined;
  do {
    const r = await page(cont);
    out.push(...r.items);
    cont = r.metadata?._continue || undefined;
  } while (cont);
  return out;
}

/** volumeHandle → PV name, for PVs of this driver. */
export async function driverVolumes(core: CoreV1Api, driverName: string): Promise<Map<string, string>> {
  const pvs: V1PersistentVolume[] = await all((c) => core.listPersistentVolume({ limit: PAGE, ...(c ? { _continue: c } : {}) }));
  const m = new Map<string, string>();
  for (const pv of pvs) {
    if (pv.spec?.csi?.driver === driverName && pv.spec.csi.volumeHandle) m.set(pv.spec.csi.volumeHandle, pv.metadata?.name ?? '');
  }
  return m;
}

export async function driverAttachments(storage: StorageV1Api, driverName: string): Promise<V1VolumeAttachment[]> {
  const vas: V1VolumeAttachment[] = await all((c) => storage.listVolumeAttachment({ limit: PAGE, ...(c ? { _continue: c } : {}) }));
  return vas.filter((va) => va.spec.attacher === driverName);
}
