// RouterOS CLI value forms: space-grouped integers ("53 687 091 200"),
// human sizes ("50.0GiB", "1924.1KiB", "10G"), yes/no booleans.

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** "53 687 091 200" → 53687091200; undefined when not a plain grouped integer. */
export function parseGroupedInt(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const t = v.trim();
  // Lenient about group widths: a wrapped line may have split a group.
  if (!/^\d+( \d+)*$/.test(t)) return undefined;
  return Number(t.replace(/ /g, ''));
}

/**
 * Human size as RouterOS prints or accepts it: "50.0GiB", "512.0KiB", "10G", "1024", "7 681 574 174 720".
 * Binary units (RouterOS uses powers of 1024 for disk sizes). Printed values with a fraction are
 * rounded by the router, so the result is approximate for those; prefer the exact `size` field.
 */
export function parseSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const grouped = parseGroupedInt(v);
  if (grouped !== undefined) return grouped;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:i?B)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = UNITS[(m[2] ?? '').toUpperCase()];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

/**
 * Exact size argument for a command: the largest binary unit that divides the byte count
 * exactly, else plain bytes — never truncated (the upstream driver sent 1.5 GiB as "1G").
 */
export function formatSizeArg(bytes: number): string {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new RangeError(`invalid size ${bytes}`);
  for (const u of ['T', 'G', 'M', 'K'] as const) {
    const f = UNITS[u] as number;
    if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  }
  return String(bytes);
}

/** yes/no/true/false → boolean; undefined otherwise. */
export function parseBool(v: string | undefined): boolean | undefined {
  if (v === 'yes' || v === 'true') return true;
  if (v === 'no' || v === 'false') return false;
  return undefined;
}
