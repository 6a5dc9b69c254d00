// Escaping for the status page's HTML and SVG: every name and message on it comes from pod
// specs, the router or the API server.
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const esc = (s: string | number | undefined): string => String(s ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c] as string);

/** At most `max` characters, the cut marked (the full text goes in a title). */
export const cut = (s: string, max: number): string => (s.length <= max ? s : `${s.slice(0, max - 1)}…`);
