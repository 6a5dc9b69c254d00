// What the supervisor needs from the router — the seam between the engine and
// the RouterOS REST client (routeros-router.ts implements it).

/** A container as the supervisor sees it; `missing` when RouterOS has no such name. */
export type ContainerPhase = 'missing' | 'extracting' | 'stopped' | 'starting' | 'running' | 'stopping' | 'error';

export interface RouterPort {
  /** Every container on the router by name, with its normalised phase. */
  containers(): Promise<Map<string, ContainerPhase>>;
  /** Phase of one container (the routeros_status probe). */
  phase(container: string): Promise<ContainerPhase>;
  start(container: string): Promise<void>;
  stop(container: string): Promise<void>;
  /** Router uptime in ms (`/system/resource`); going back means it rebooted. */
  uptimeMs(): Promise<number>;
  /** Whether an error is a transient transport fault (retry later, not the unit's failure). */
  isTransient(err: unknown): boolean;
}
