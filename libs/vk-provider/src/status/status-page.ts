// The status page on the ops port: pods (phase, IP, restarts, readiness), the boot-order graph
// with each unit's health, recent events and the router's resources. Rendered here as HTML; the
// page re-reads the same fragment (GET status/view) every 2 s and swaps it in, so one renderer
// serves the first paint and the live updates. Everything is inline (no external asset, works
// offline) and allowed by a Content-Security-Policy that names the script and style by hash.
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { SystemResource } from '@mikrotik-kube/routeros-rest';
import { BOOT_INDEX_ANNOTATION } from '../core/pod-status';
import { age, podStatusWord } from '../standalone/status-table';
import { bootGraph, podHealth } from './boot-graph';
import { graphSvg, HEALTH_LABEL } from './graph-svg';
import { cut, esc } from './html';
import type { RecentEvent } from './recent-events';
import type { ResourceReading } from './router-resources';

export interface StatusView {
  /** e.g. "standalone" or "node rds1". */
  title: string;
  /** In boot order. */
  pods: V1Pod[];
  /** Newest first. */
  events: RecentEvent[];
  router: ResourceReading;
  now: number;
}

const keyOf = (p: V1Pod) => `${p.metadata?.namespace || 'default'}/${p.metadata?.name ?? ''}`;
const MiB = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
const clock = (d: Date) => d.toISOString().slice(11, 19);

function usage(label: string, cls: string, used: number, total: number): string {
  if (total <= 0) return '';
  return `<div class="usage ${cls}"><span>${label}</span><meter min="0" max="${total}" value="${used}" low="${total * 0.75}" high="${total * 0.9}" optimum="0"></meter><span class="num">${MiB(used)} / ${MiB(total)}</span></div>`;
}

function routerSection(r: ResourceReading, now: number): string {
  const s: SystemResource | undefined = r.resource;
  const problem = r.error ? `<p class="problem">The router does not answer: ${esc(r.error)}${s ? ' (last answer below)' : ''}</p>` : '';
  if (!s) return `<section id="router"><h2>Router</h2>${problem || '<p class="empty">Not read yet.</p>'}</section>`;
  const facts: Array<[string, string, string]> = [
    ['board', 'Board', s.boardName || s.platform],
    ['version', 'RouterOS', s.version],
    ['architecture', 'Architecture', s.architecture],
    ['uptime', 'Uptime', s.uptime],
    ['cpu', 'CPU', `${s.cpuLoad}% of ${s.cpuCount} core${s.cpuCount === 1 ? '' : 's'}`],
  ];
  return (
    `<section id="router"><h2>Router <small>read ${Math.max(0, Math.round((now - r.at) / 1000))} s ago</small></h2>${problem}` +
    `<dl>${facts.map(([id, k, v]) => `<div data-field="${id}"><dt>${k}</dt><dd>${esc(v)}</dd></div>`).join('')}</dl>` +
    usage('Memory', 'memory', s.totalMemory - s.freeMemory, s.totalMemory) +
    usage('Storage', 'storage', s.totalHddSpace - s.freeHddSpace, s.totalHddSpace) +
    '</section>'
  );
}

function podRow(p: V1Pod, now: number): string {
  const cs = p.status?.containerStatuses ?? [];
  const health = podHealth(p);
  const notes = [p.status?.message, ...cs.map((c) => c.state?.waiting?.message)].filter(Boolean).join('; ');
  const cells: Array<[string, string]> = [
    ['boot', p.metadata?.annotations?.[BOOT_INDEX_ANNOTATION] ?? '-'],
    ['namespace', p.metadata?.namespace ?? ''],
    ['name', p.metadata?.name ?? ''],
    ['ready', `${cs.filter((c) => c.ready).length}/${cs.length}`],
    ['status', podStatusWord(p)],
    ['restarts', String(cs.reduce((n, c) => n + (c.restartCount ?? 0), 0))],
    ['ip', p.status?.podIP ?? '<none>'],
    ['age', age(p.status?.startTime, now)],
  ];
  const td = cells.map(([k, v]) => `<td class="${k}">${k === 'status' ? `<span class="dot ${health}" title="${HEALTH_LABEL[health]}"></span>` : ''}${esc(v)}</td>`).join('');
  return `<tr data-key="${esc(keyOf(p))}" data-health="${health}">${td}</tr>${notes ? `<tr class="note"><td></td><td colspan="7">${esc(cut(notes, 400))}</td></tr>` : ''}`;
}

function eventsSection(events: RecentEvent[], now: number): string {
  const rows = events.map(
    (e) =>
      `<tr class="${e.type === 'Warning' ? 'warning' : 'normal'}" data-reason="${esc(e.reason)}" data-object="${esc(e.object)}">` +
      `<td title="${clock(e.last)} UTC">${age(e.last, now)}</td><td>${esc(e.type)}</td><td>${esc(e.reason)}</td>` +
      `<td>${esc(e.object)}${e.container ? ` <small>${esc(e.container)}</small>` : ''}</td><td>${esc(cut(e.message, 300))}${e.count > 1 ? ` <small>×${e.count}</small>` : ''}</td></tr>`,
  );
  return `<section id="events"><h2>Recent events</h2>${rows.length ? `<table><thead><tr><th>Age</th><th>Type</th><th>Reason</th><th>Object</th><th>Message</th></tr></thead><tbody>${rows.join('')}</tbody></table>` : '<p class="empty">None yet.</p>'}</section>`;
}

/** The live part of the page (also GET status/view). */
export function renderStatusView(v: StatusView): string {
  const status = new Map(v.pods.map((p) => [keyOf(p), podStatusWord(p)]));
  const ready = v.pods.filter((p) => podHealth(p) === 'ready').length;
  const legend = (Object.keys(HEALTH_LABEL) as Array<keyof typeof HEALTH_LABEL>).map((h) => `<span><span class="dot ${h}"></span>${HEALTH_LABEL[h]}</span>`).join('');
  return (
    `<p id="summary">${v.pods.length} pod${v.pods.length === 1 ? '' : 's'}, ${ready} ready · ${clock(new Date(v.now))} UTC</p>` +
    `<section id="graph"><h2>Boot order</h2>${graphSvg(bootGraph(v.pods), (k) => status.get(k) ?? '')}<p class="legend">${legend}</p></section>` +
    `<section id="pods"><h2>Pods</h2><table><thead><tr><th>Boot</th><th>Namespace</th><th>Name</th><th>Ready</th><th>Status</th><th>Restarts</th><th>IP</th><th>Age</th></tr></thead>` +
    `<tbody>${v.pods.map((p) => podRow(p, v.now)).join('')}</tbody></table></section>` +
    routerSection(v.router, v.now) +
    eventsSection(v.events, v.now)
  );
}

const STYLE = `
:root{font:14px/1.4 system-ui,sans-serif;color:#1d2530;background:#f5f6f8}
body{margin:0 auto;max-width:1100px;padding:16px 20px}
header{display:flex;align-items:baseline;gap:12px}h1{font-size:20px;margin:0}h2{font-size:15px;margin:18px 0 8px}
h2 small,td small{color:#667;font-weight:normal}
#live-state{margin-left:auto;font-size:12px;padding:2px 8px;border-radius:9px;background:#dfe3e8}
#live-state.ok{background:#d7eedb;color:#1b5e20}#live-state.bad{background:#f8d7d7;color:#8e1b1b}
section{background:#fff;border:1px solid #dde1e6;border-radius:8px;padding:4px 14px 12px;margin-top:12px;overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eef0f3;white-space:nowrap}
th{font-size:12px;color:#556;font-weight:600}tr.note td{color:#8e1b1b;font-size:12px;white-space:normal}
tr.warning td{color:#8a4b00}#events td:last-child{white-space:normal}td.restarts,td.boot{text-align:right}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px;background:#90a4ae}
.dot.ready{background:#2e7d32}.dot.unready{background:#f9a825}.dot.backoff{background:#ef6c00}.dot.failed{background:#c62828}.dot.missing{background:#fff;border:1px dashed #667}
.legend{font-size:12px;color:#556;display:flex;gap:14px;flex-wrap:wrap}
#boot-graph .edge{fill:none;stroke:#7a8594;stroke-width:1.6}#boot-graph marker path{fill:#7a8594}
#boot-graph rect{fill:#eceff1;stroke:#90a4ae;stroke-width:1.5}
#boot-graph .ready rect{fill:#e3f2e5;stroke:#2e7d32}#boot-graph .unready rect{fill:#fff6d9;stroke:#f9a825}
#boot-graph .backoff rect{fill:#ffe9d6;stroke:#ef6c00}#boot-graph .failed rect{fill:#fbe2e2;stroke:#c62828}
#boot-graph .missing rect{fill:#fff;stroke-dasharray:4 3}
#boot-graph text{font-size:12px;fill:#1d2530}#boot-graph text.name{font-weight:600}#boot-graph text.state{fill:#445}
dl{display:flex;flex-wrap:wrap;gap:6px 28px;margin:4px 0 10px}dt{font-size:12px;color:#667}dd{margin:0;font-weight:600}
.usage{display:flex;align-items:center;gap:10px;margin:4px 0}.usage span:first-child{width:70px;color:#556}.usage meter{width:260px;height:14px}
.problem{color:#8e1b1b}.empty{color:#778}
`;

// Re-reads the view every 2 s (relative URL: works behind a path prefix, e.g. kubectl proxy).
const SCRIPT = `
(() => {
  const live = document.getElementById('live');
  const state = document.getElementById('live-state');
  let last;
  const tick = async () => {
    try {
      const res = await fetch('status/view', { cache: 'no-store' });
      if (!res.ok) throw new Error(String(res.status));
      const html = await res.text();
      if (html !== last) { live.innerHTML = html; last = html; }
      state.textContent = 'live'; state.className = 'ok';
    } catch (e) {
      state.textContent = 'not updating: ' + e.message; state.className = 'bad';
    }
    setTimeout(tick, 2000);
  };
  setTimeout(tick, 2000);
})();
`;

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** Headers of the page: nothing but its own inline script and style, and requests to itself. */
export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': `default-src 'none'; script-src ${sha256(SCRIPT)}; style-src ${sha256(STYLE)}; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
};

export function renderStatusPage(v: StatusView): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>mikrotik-kube — ${esc(v.title)}</title><style>${STYLE}</style></head>` +
    `<body><header><h1>mikrotik-kube · ${esc(v.title)}</h1><span id="live-state">loaded</span></header>` +
    `<main id="live">${renderStatusView(v)}</main><script>${SCRIPT}</script></body></html>`
  );
}
