// /system/device-mode and /system/package (routeros-reference.md §2: containers need the extra
// `container` package and device-mode `container=yes`, which only a physical confirmation turns
// on — so both are read-only here and set by the simulator's options).
import type { MenuSpec } from '../state/menu-spec';

export interface DeviceOptions {
  containerMode: boolean;
  containerPackage: boolean;
}

export function deviceMenus(o: DeviceOptions): MenuSpec[] {
  return [
    {
      path: 'system/device-mode',
      singleton: true,
      readOnly: true,
      initial: () => [{}],
      render: () => ({ mode: 'advanced', container: o.containerMode ? 'true' : 'false', 'activation-timeout': '5m' }),
    },
    {
      path: 'system/package',
      readOnly: true,
      initial: (ctx) =>
        [
          { name: 'routeros', version: ctx.profile.version, 'build-time': '2025-06-01 10:00:00', scheduled: '', disabled: 'false', available: 'false' },
          ...(o.containerPackage ? [{ name: 'container', version: ctx.profile.version, 'build-time': '2025-06-01 10:00:00', scheduled: '', disabled: 'false', available: 'false' }] : []),
        ],
    },
  ];
}
