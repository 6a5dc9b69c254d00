// CSI Identity service shared by the controller and node plugins.
import type { csi } from '@mikrotik-kube/proto';

export const DEFAULT_DRIVER_NAME = 'rds.csi.srvlab.io';

export interface IdentityOptions {
  driverName?: string;
  version: string;
  /** Plugin capabilities, e.g. ['CONTROLLER_SERVICE']. */
  services?: Array<'CONTROLLER_SERVICE' | 'VOLUME_ACCESSIBILITY_CONSTRAINTS' | 'GROUP_CONTROLLER_SERVICE'>;
  /** Online (and offline) expansion advertised when true. */
  onlineExpansion?: boolean;
  /** Readiness: true when the plugin can serve (controller: SSH link up). Errors count as not ready. */
  probe?: () => boolean | Promise<boolean>;
  manifest?: Record<string, string>;
}

export function identityHandlers(opts: IdentityOptions) {
  const capabilities: csi.PluginCapability[] = (opts.services ?? []).map((type) => ({ service: { type } }));
  if (opts.onlineExpansion) capabilities.push({ volume_expansion: { type: 'ONLINE' } });
  return {
    GetPluginInfo: async (): Promise<csi.GetPluginInfoResponse> => ({
      name: opts.driverName ?? DEFAULT_DRIVER_NAME,
      vendor_version: opts.version,
      manifest: opts.manifest ?? {},
    }),
    GetPluginCapabilities: async (): Promise<csi.GetPluginCapabilitiesResponse> => ({ capabilities }),
    Probe: async (): Promise<csi.ProbeResponse> => {
      let ready = true;
      try {
        ready = opts.probe ? await opts.probe() : true;
      } catch {
        ready = false;
      }
      return { ready: { value: ready } };
    },
  };
}
