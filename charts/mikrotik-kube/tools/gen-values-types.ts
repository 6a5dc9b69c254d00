// TypeScript types for the chart's values, generated from values.schema.json so the chart tests
// use the same shape helm enforces. Handles the subset of JSON Schema the file uses: object
// (properties, required, additionalProperties false or a schema), string/integer/number/boolean/
// null (enum), array (items), anyOf, type lists and local $ref to $defs.
// Run: npx tsx charts/mikrotik-kube/tools/gen-values-types.ts [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  $ref?: string;
  $defs?: Record<string, Schema>;
  description?: string;
}

export const chartDir = resolve(import.meta.dirname, '..');
export const schemaPath = resolve(chartDir, 'values.schema.json');
export const outputPath = resolve(chartDir, 'test/values.generated.ts');

const typeName = (def: string) => def.charAt(0).toUpperCase() + def.slice(1);
const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k));
const doc = (s: Schema, pad: string) => (s.description ? `${pad}/** ${s.description.replace(/\*\//g, '* /')} */\n` : '');

function scalar(t: string, s: Schema, pad: string): string {
  switch (t) {
    case 'string':
      return s.enum ? s.enum.map((v) => JSON.stringify(v)).join(' | ') : 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'null':
      return 'null';
    case 'array':
      return `Array<${s.items ? render(s.items, pad) : 'unknown'}>`;
    case 'object':
      return objectType(s, pad);
    default:
      throw new Error(`gen-values-types: unsupported type ${t}`);
  }
}

function objectType(s: Schema, pad: string): string {
  const inner = `${pad}  `;
  const lines: string[] = [];
  for (const [k, p] of Object.entries(s.properties ?? {})) {
    const opt = s.required?.includes(k) ? '' : '?';
    lines.push(`${doc(p, inner)}${inner}${key(k)}${opt}: ${render(p, inner)};`);
  }
  const extra = s.additionalProperties;
  if (extra !== false && extra !== undefined) {
    lines.push(`${inner}[key: string]: ${extra === true ? 'unknown' : render(extra, inner)};`);
  } else if (extra === undefined && !s.properties) {
    // An open object (a Kubernetes type the chart passes through as is).
    return 'Record<string, unknown>';
  }
  return lines.length ? `{\n${lines.join('\n')}\n${pad}}` : 'Record<string, never>';
}

function render(s: Schema, pad = ''): string {
  if (s.$ref) {
    const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
    if (!m?.[1]) throw new Error(`gen-values-types: only local #/$defs refs are supported, got ${s.$ref}`);
    return typeName(m[1]);
  }
  if (s.anyOf) return s.anyOf.map((a) => render(a, pad)).join(' | ');
  if (Array.isArray(s.type)) return s.type.map((t) => scalar(t, s, pad)).join(' | ');
  if (s.type) return scalar(s.type, s, pad);
  if (s.properties) return objectType(s, pad);
  return 'unknown';
}

export function generateValuesTypes(schema: Schema): string {
  const out = [
    '// Generated from values.schema.json by tools/gen-values-types.ts — do not edit.',
    '// Regenerate: npx tsx charts/mikrotik-kube/tools/gen-values-types.ts',
    '',
  ];
  for (const [name, def] of Object.entries(schema.$defs ?? {})) {
    out.push(`${doc(def, '')}export type ${typeName(name)} = ${render(def)};`, '');
  }
  out.push(`/** The chart's values (values.yaml merged with the user's). */`, `export interface Values ${objectType(schema, '')}`, '');
  out.push(
    '/** What a values file may contain: any subset of Values. */',
    'export type ValuesOverride = DeepPartial<Values>;',
    'export type DeepPartial<T> = T extends Array<infer U> ? Array<DeepPartial<U>> : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;',
    '',
  );
  return out.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const text = generateValuesTypes(JSON.parse(readFileSync(schemaPath, 'utf8')) as Schema);
  if (process.argv.includes('--check')) {
    const current = readFileSync(outputPath, 'utf8');
    if (current !== text) {
      process.stderr.write(`${outputPath} is out of date: run npx tsx charts/mikrotik-kube/tools/gen-values-types.ts\n`);
      process.exit(1);
    }
  } else {
    writeFileSync(outputPath, text);
    process.stdout.write(`wrote ${outputPath}\n`);
  }
}
