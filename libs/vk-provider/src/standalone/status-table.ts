// `mkube status` output: one aligned row per pod in boot order, kubectl-style
// STATUS (a container's waiting/terminated reason, else the phase), then the
// fields RouterOS could not express and any pod problems.
import type { V1Pod } from '@kubernetes/client-node';
import { BOOT_INDEX_ANNOTATION, UNSUPPORTED_CONDITION } from '../core/pod-status';

export function podStatusWord(p: V1Pod): string {
  for (const c of p.status?.containerStatuses ?? []) {
    if (c.state?.waiting?.reason) return c.state.waiting.reason;
    if (c.state?.terminated?.reason) return c.state.terminated.reason;
  }
  return p.status?.phase ?? 'Unknown';
}

export function age(start: Date | string | undefined, now: number): string {
  if (!start) return '-';
  const s = Math.max(0, Math.floor((now - new Date(start).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

export function alignTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('   ').trimEnd()).join('\n');
}

export function renderStatus(pods: V1Pod[], now = Date.now()): string {
  const rows = [['BOOT', 'NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'IP', 'AGE']];
  const notes: string[] = [];
  for (const p of pods) {
    const cs = p.status?.containerStatuses ?? [];
    const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
    rows.push([
      p.metadata?.annotations?.[BOOT_INDEX_ANNOTATION] ?? '-',
      p.metadata?.namespace ?? '',
      p.metadata?.name ?? '',
      `${cs.filter((c) => c.ready).length}/${cs.length}`,
      podStatusWord(p),
      String(cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)),
      p.status?.podIP ?? '<none>',
      age(p.status?.startTime, now),
    ]);
    if (p.status?.message) notes.push(`${key}: ${p.status.reason ?? 'Problem'}: ${p.status.message}`);
    for (const c of cs) if (c.state?.waiting?.message) notes.push(`${key} ${c.name}: ${c.state.waiting.message}`);
    const unsupported = p.status?.conditions?.find((c) => c.type === UNSUPPORTED_CONDITION);
    if (unsupported?.message) notes.push(`${key}: not expressible on RouterOS: ${unsupported.message}`);
  }
  return `${alignTable(rows)}\n${notes.length ? `\n${notes.join('\n')}\n` : ''}`;
}
