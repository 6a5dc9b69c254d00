// Cumulative CPU time from instantaneous readings. The kubelet reports core-seconds consumed
// since a container started (a counter); RouterOS only says how busy a container (or the router)
// is right now, as a percentage. So each read adds the time since the previous read at the mean
// of the two rates (trapezoid rule): the total only grows, and a scraper that takes the rate
// between two scrapes (metrics-server) gets back the average of the readings in between. Totals
// live in this process: they start at 0 when it starts, as a counter after a restart does.

interface Series {
  atMs: number;
  cores: number;
  total: number;
}

export class CpuIntegrator {
  private readonly series = new Map<string, Series>();

  /**
   * Adds a reading of `cores` (busy cores, ≥ 0) at `atMs` to `key`'s total; returns the total in
   * core-seconds. A reading not later than the last one adds nothing.
   */
  sample(key: string, atMs: number, cores: number): number {
    const rate = Number.isFinite(cores) && cores > 0 ? cores : 0;
    const s = this.series.get(key);
    if (!s) {
      this.series.set(key, { atMs, cores: rate, total: 0 });
      return 0;
    }
    if (atMs > s.atMs) {
      s.total += ((s.cores + rate) / 2) * ((atMs - s.atMs) / 1000);
      s.atMs = atMs;
      s.cores = rate;
    }
    return s.total;
  }

  /** Drops the series not in `keep` (containers that are gone or restarted). */
  retain(keep: ReadonlySet<string>): void {
    for (const k of this.series.keys()) if (!keep.has(k)) this.series.delete(k);
  }
}
