// Size arguments as the console accepts them: bytes, or a number with a binary unit
// (`10G`, `512M`, `1.5G`, `50GiB`).
import { invalidValue } from '../state/errors';

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

export function parseSizeArg(name: string, v: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMGT]?)(?:iB|B)?$/i.exec(v.trim().replace(/ /g, ''));
  const unit = m ? UNITS[(m[2] ?? '').toUpperCase()] : undefined;
  if (!m || unit === undefined) throw invalidValue(name);
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw invalidValue(name);
  return bytes;
}
