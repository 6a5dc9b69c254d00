// CLI progress: a redrawn bar on a terminal, plain lines (one per phase and every 25%)
// when the output is a pipe or a log file.
import type { Progress } from './converter';

const WIDTH = 30;

function mb(n: number): string {
  return (n / 1024 / 1024).toFixed(1);
}

export function progressPrinter(out: NodeJS.WriteStream): { update(p: Progress): void; done(): void } {
  let lastPhase = '';
  let lastQuarter = -1;
  let drawn = false;
  return {
    update(p) {
      const frac = p.bytesTotal > 0 ? Math.min(1, p.bytesDone / p.bytesTotal) : 0;
      if (out.isTTY) {
        const fill = Math.round(frac * WIDTH);
        const bar = `${'#'.repeat(fill)}${'.'.repeat(WIDTH - fill)}`;
        const sizes = p.bytesTotal > 0 ? ` ${mb(p.bytesDone)}/${mb(p.bytesTotal)} MB` : '';
        const line = `${p.phase.padEnd(8)} [${bar}] ${String(Math.round(frac * 100)).padStart(3)}%${sizes} ${p.message}`;
        out.write(`\r${line.slice(0, (out.columns || 100) - 1).padEnd((out.columns || 100) - 1)}`);
        drawn = true;
        return;
      }
      const quarter = Math.floor(frac * 4);
      if (p.phase !== lastPhase || quarter > lastQuarter) {
        out.write(`${p.phase}: ${Math.round(frac * 100)}%${p.bytesTotal > 0 ? ` of ${mb(p.bytesTotal)} MB` : ''} ${p.message}\n`);
        lastPhase = p.phase;
        lastQuarter = quarter;
      }
    },
    done() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}
