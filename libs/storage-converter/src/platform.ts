// RouterOS architecture names → OCI platforms, and the choice of one manifest from an
// index: arm64 → linux/arm64, arm → linux/arm/v7 then the configured fallbacks (v6, v5),
// x86 → linux/amd64 (docs/routeros.md "Containers"). RouterOS has no emulation, so a miss is
// an error naming what the index offers, never a silent wrong-arch image.
import type { Descriptor } from '@mikrotik-kube/oci';
import { invalid, precondition } from './errors';

export type RouterArch = 'arm64' | 'arm' | 'x86';

export interface Platform {
  os: 'linux';
  architecture: string;
  variant?: string;
}

export const ROUTER_ARCHES: readonly RouterArch[] = ['arm64', 'arm', 'x86'];

export function parseRouterArch(value: string): RouterArch {
  if ((ROUTER_ARCHES as readonly string[]).includes(value)) return value as RouterArch;
  throw invalid(`architecture ${JSON.stringify(value)} is not one of ${ROUTER_ARCHES.join(', ')}`);
}

/** Platforms acceptable for `arch`, best first. `armVariants` e.g. ['v7', 'v6', 'v5']. */
export function candidatePlatforms(arch: RouterArch, armVariants: readonly string[]): Platform[] {
  if (arch === 'arm64') return [{ os: 'linux', architecture: 'arm64' }];
  if (arch === 'x86') return [{ os: 'linux', architecture: 'amd64' }];
  return armVariants.map((variant) => ({ os: 'linux', architecture: 'arm', variant }));
}

export function formatPlatform(p: { os?: string; architecture?: string; variant?: string } | undefined): string {
  if (!p) return 'unknown';
  return [p.os ?? '?', p.architecture ?? '?', p.variant].filter(Boolean).join('/');
}

function matches(d: Descriptor, want: Platform): boolean {
  const p = d.platform;
  if (!p || p.os !== want.os || p.architecture !== want.architecture) return false;
  // arm64 images usually carry variant v8 or none; arm images without a variant are v7 by convention.
  if (want.architecture === 'arm') return (p.variant ?? 'v7') === want.variant;
  return true;
}

/** Picks the index entry for `arch`; FAILED_PRECONDITION lists the index's platforms otherwise. */
export function selectManifest(image: string, manifests: readonly Descriptor[], arch: RouterArch, armVariants: readonly string[]): Descriptor {
  for (const want of candidatePlatforms(arch, armVariants)) {
    const hit = manifests.find((d) => matches(d, want));
    if (hit) return hit;
  }
  const available = manifests
    .filter((d) => d.platform && d.platform.architecture !== 'unknown')
    .map((d) => formatPlatform(d.platform));
  const wanted = candidatePlatforms(arch, armVariants).map(formatPlatform).join(' or ');
  throw precondition(`${image} has no image for ${wanted} (router architecture ${arch}); available: ${available.join(', ') || 'none'}`);
}

/** Checks a single-platform image's config against the router (images without an index). */
export function checkConfigPlatform(image: string, config: { os?: string; architecture?: string; variant?: string }, arch: RouterArch, armVariants: readonly string[]): void {
  const wants = candidatePlatforms(arch, armVariants);
  const ok = wants.some((w) => config.architecture === w.architecture && (config.os ?? 'linux') === w.os && (w.architecture !== 'arm' || (config.variant ?? 'v7') === w.variant));
  if (!ok) {
    throw precondition(`${image} is ${formatPlatform({ os: config.os ?? 'linux', architecture: config.architecture, variant: config.variant })}, not ${wants.map(formatPlatform).join(' or ')} (router architecture ${arch}); available: ${formatPlatform({ os: config.os ?? 'linux', architecture: config.architecture, variant: config.variant })}`);
  }
}
