// The boot-order graph as inline SVG: one column per layer (what a pod depends on is to its
// left), a box per pod coloured by its health, an arrow per dependency. No script, no external
// asset: the page works offline and the same SVG can be saved.
import type { BootGraph, UnitHealth } from './boot-graph';
import { cut, esc } from './html';

const W = 190;
const H = 48;
const GAP_X = 70;
const GAP_Y = 18;
const PAD = 12;
const ARC = 34;

export const HEALTH_LABEL: Record<UnitHealth, string> = {
  ready: 'ready',
  unready: 'running, not ready',
  waiting: 'waiting',
  backoff: 'back-off',
  failed: 'failed',
  missing: 'not a pod here',
};

export function graphSvg(g: BootGraph, statusOf: (key: string) => string): string {
  if (g.nodes.length === 0) return '<p class="empty">No pods.</p>';
  const layerOf = new Map(g.nodes.map((n) => [n.key, n.layer]));
  // An edge that skips layers would run behind the boxes between: it arcs over them instead.
  const skips = (e: { from: string; to: string }) => (layerOf.get(e.to) ?? 0) - (layerOf.get(e.from) ?? 0) > 1;
  const top = PAD + (g.edges.some(skips) ? ARC : 0);
  const rows = new Map<number, number>();
  const pos = new Map<string, { x: number; y: number }>();
  for (const n of g.nodes) {
    const row = rows.get(n.layer) ?? 0;
    rows.set(n.layer, row + 1);
    pos.set(n.key, { x: PAD + n.layer * (W + GAP_X), y: top + row * (H + GAP_Y) });
  }
  const width = PAD * 2 + (Math.max(...rows.keys()) + 1) * (W + GAP_X) - GAP_X;
  const height = top + PAD + Math.max(...rows.values()) * (H + GAP_Y) - GAP_Y;
  const edges = g.edges.map((e) => {
    const a = pos.get(e.from) as { x: number; y: number };
    const b = pos.get(e.to) as { x: number; y: number };
    let d: string;
    if (skips(e)) {
      const [x1, x2, y2] = [a.x + W / 2, b.x + W / 3, b.y - 4];
      d = `M${x1},${a.y} C${x1},${a.y - ARC} ${x2},${b.y - ARC} ${x2},${y2}`;
    } else {
      const [x1, y1, x2, y2] = [a.x + W, a.y + H / 2, b.x - 4, b.y + H / 2];
      const mid = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
    }
    return `<path class="edge" data-from="${esc(e.from)}" data-to="${esc(e.to)}" d="${d}" marker-end="url(#arrow)"/>`;
  });
  const boxes = g.nodes.map((n) => {
    const { x, y } = pos.get(n.key) as { x: number; y: number };
    const status = n.health === 'missing' ? HEALTH_LABEL.missing : statusOf(n.key);
    const boot = n.bootIndex !== undefined ? `#${n.bootIndex} · ` : '';
    return (
      `<g class="unit ${n.health}" data-key="${esc(n.key)}" data-health="${n.health}" data-status="${esc(status)}">` +
      `<title>${esc(n.key)}: ${esc(status)} (${HEALTH_LABEL[n.health]})</title>` +
      `<rect x="${x}" y="${y}" width="${W}" height="${H}" rx="7"/>` +
      `<text class="name" x="${x + 10}" y="${y + 19}">${esc(cut(n.key, 26))}</text>` +
      `<text class="state" x="${x + 10}" y="${y + 37}">${esc(cut(`${boot}${status}`, 30))}</text>` +
      '</g>'
    );
  });
  return (
    `<svg id="boot-graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="boot order" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>' +
    `${edges.join('')}${boxes.join('')}</svg>`
  );
}
