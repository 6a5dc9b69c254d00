// /system/resource (a computed singleton) and /log (read-only, appended by the simulator).
import { freemem, totalmem } from 'node:os';
import type { MenuContext, MenuSpec } from '../state/menu-spec';
import type { Row } from '../state/values';

export type SimArch = 'arm64' | 'arm' | 'x86';

export interface SystemInfo {
  arch: SimArch;
  startedAt: number;
  /** Bytes free/total on the simulated storage (the data dir's file system). */
  hdd(): { free: number; total: number };
}

/** `1d7h44m20s` as RouterOS prints durations. */
export function rosDuration(ms: number): string {
  let s = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  parts.push(`${s}s`);
  return parts.join('');
}

export function systemResourceMenu(info: SystemInfo): MenuSpec {
  return {
    path: 'system/resource',
    singleton: true,
    readOnly: true,
    initial: () => [{}],
    render: (_row: Row, ctx: MenuContext) => {
      const hdd = info.hdd();
      return {
        uptime: rosDuration(Date.now() - info.startedAt),
        version: `${ctx.profile.version} (stable)`,
        'build-time': '2025-06-01 10:00:00',
        'factory-software': '7.1',
        'free-memory': String(freemem()),
        'total-memory': String(totalmem()),
        cpu: info.arch === 'x86' ? 'Intel(R)' : 'ARM64',
        'cpu-count': '4',
        'cpu-frequency': '1400',
        'cpu-load': '1',
        'free-hdd-space': String(hdd.free),
        'total-hdd-space': String(hdd.total),
        'write-sect-since-reboot': '0',
        'write-sect-total': '0',
        'architecture-name': info.arch,
        'board-name': info.arch === 'x86' ? 'CHR' : 'RDS2216',
        platform: 'MikroTik',
      };
    },
  };
}

/** RouterOS keeps the last 1000 lines of its memory log. */
export const LOG_LINES = 1000;

export const logMenu: MenuSpec = {
  path: 'log',
  readOnly: true,
};

/** `YYYY-MM-DD HH:MM:SS` in local time, the current 7.x format. */
export function rosTime(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Appends a log line, dropping the oldest beyond LOG_LINES. */
export function appendLog(ctx: MenuContext, topics: string, message: string): void {
  appendBounded(ctx, 'log', { time: rosTime(), topics, message });
}

/** Inserts a row into a read-only log-like menu, dropping the oldest beyond LOG_LINES. */
export function appendBounded(ctx: MenuContext, path: string, row: Row): void {
  const menu = ctx.state.menu(path);
  menu.insert(row);
  const rows = menu.rows();
  while (rows.length > LOG_LINES) menu.drop(rows[0]?.['.id'] as string);
}
