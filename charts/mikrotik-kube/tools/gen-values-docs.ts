// The README's values table, generated from the `# <key> -- <description>` comments of values.yaml
// (helm-docs' convention; helm-docs itself cannot be built here). A comment is the paragraph right
// above a key; its first line must name that key's full path, so a comment that drifted to another
// key is an error, not a wrong row. Every key needs one, or a documented ancestor whose row shows
// its default, or — for the components' common keys — the same key documented under vkProvider.
// Run: npx tsx charts/mikrotik-kube/tools/gen-values-docs.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMap, isScalar, parseDocument, type Node, type YAMLMap } from 'yaml';

export const chartDir = resolve(import.meta.dirname, '..');
export const valuesPath = resolve(chartDir, 'values.yaml');
export const readmePath = resolve(chartDir, 'README.md');
export const BEGIN = '<!-- values table: generated from values.yaml by tools/gen-values-docs.ts; edit the comments there -->';
export const END = '<!-- end of values table -->';

export interface ValueDoc {
  key: string;
  default: string;
  description: string;
}

/** The components: the common keys (resources, pdb, …) are documented once, under the first. */
const COMPONENTS = ['vkProvider', 'ipam', 'storageConverter', 'bootSupervisor', 'registry', 'csiController', 'csiNode'];

const LONGEST_DEFAULT = 100;

/** A default as the table shows it: short JSON, or a pointer to values.yaml when long. */
function shown(node: unknown): string {
  const v = node && typeof node === 'object' && 'toJSON' in node ? (node as Node).toJSON() : node;
  const text = JSON.stringify(v ?? null);
  return text.length > LONGEST_DEFAULT ? '(see values.yaml)' : `\`${text}\``;
}

/** The description a comment gives `path`, if its last paragraph is `path -- …`. */
function described(comment: string | null | undefined, path: string): string | undefined {
  if (!comment) return undefined;
  const paragraph = comment.split(/\n\s*\n/).pop() ?? '';
  const lines = paragraph.split('\n').map((l) => l.trim());
  const m = /^(\S+) -- (.*)$/.exec(lines[0] ?? '');
  if (!m) return undefined;
  if (m[1] !== path) throw new Error(`values.yaml: the comment "${m[1]} -- …" sits above ${path}`);
  return [m[2], ...lines.slice(1)].join(' ').trim();
}

export function valuesDocs(text: string): ValueDoc[] {
  const doc = parseDocument(text);
  if (doc.errors.length) throw new Error(`values.yaml: ${doc.errors[0]?.message}`);
  const rows: ValueDoc[] = [];
  const walk = (map: YAMLMap, prefix: string): number => {
    let count = 0;
    map.items.forEach((pair, i) => {
      if (!isScalar(pair.key)) throw new Error(`values.yaml: a key under ${prefix || 'the top level'} is not a scalar`);
      const path = prefix + String(pair.key.value);
      // The comment above a map's first key belongs to the map node in the yaml library.
      const description = described(pair.key.commentBefore ?? (i === 0 ? map.commentBefore : undefined), path);
      const row = description === undefined ? undefined : { key: path, default: '', description };
      if (row) rows.push(row);
      const inner = isMap(pair.value) && !pair.value.flow ? walk(pair.value, `${path}.`) : 0;
      // A map whose keys have rows of their own shows no default; theirs are the defaults.
      if (row) row.default = inner > 0 ? '' : shown(pair.value);
      count += inner + (row ? 1 : 0);
    });
    return count;
  };
  if (!isMap(doc.contents)) throw new Error('values.yaml: not a map');
  walk(doc.contents, '');
  const documented = new Set(rows.map((r) => r.key));
  const leaves = rows.filter((r) => r.default !== '').map((r) => `${r.key}.`);
  const covered = (path: string): boolean => {
    if (documented.has(path) || leaves.some((l) => path.startsWith(l))) return true;
    const [top, ...rest] = path.split('.');
    return top !== COMPONENTS[0] && COMPONENTS.includes(top ?? '') && rest.length > 0 && covered([COMPONENTS[0], ...rest].join('.'));
  };
  const missing: string[] = [];
  const every = (v: unknown, prefix: string) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    for (const [k, child] of Object.entries(v)) {
      if (!covered(prefix + k)) missing.push(prefix + k);
      every(child, `${prefix}${k}.`);
    }
  };
  every(doc.toJS(), '');
  if (missing.length) throw new Error(`values.yaml: no "# <key> -- <description>" comment documents ${missing.join(', ')}`);
  return rows;
}

/** A table cell: pipes escaped, and `<`, outside code spans, so that <release> is not taken for HTML. */
const cell = (s: string) =>
  s
    .replace(/\|/g, '\\|')
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '\\<')))
    .join('`');

export function valuesTable(rows: ValueDoc[]): string {
  return [BEGIN, '| key | default | description |', '|---|---|---|', ...rows.map((r) => `| \`${r.key}\` | ${cell(r.default)} | ${cell(r.description)} |`), END].join('\n');
}

/** The README with its table replaced by the one values.yaml gives; throws without the markers. */
export function withValuesTable(readme: string, values: string): string {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md: the values table markers are missing (${BEGIN} … ${END})`);
  return readme.slice(0, start) + valuesTable(valuesDocs(values)) + readme.slice(end + END.length);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const readme = readFileSync(readmePath, 'utf8');
  const next = withValuesTable(readme, readFileSync(valuesPath, 'utf8'));
  if (process.argv.includes('--check')) {
    if (next !== readme) {
      process.stderr.write(`${readmePath}: the values table is out of date: run npx tsx charts/mikrotik-kube/tools/gen-values-docs.ts\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(readmePath, next);
    process.stdout.write(`wrote the values table of ${readmePath}\n`);
  }
}
