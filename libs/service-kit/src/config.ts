// Service configuration: YAML file, then environment, then CLI flags (later
// wins; only values actually given override), validated by an ajv JSON schema.
// Every error names the field and where its value came from.
import { readFileSync } from 'node:fs';
import Ajv, { type ErrorObject } from 'ajv';
import addFormats from 'ajv-formats';
import { parse as parseYaml } from 'yaml';

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  default?: unknown;
  [key: string]: unknown;
}

export interface ConfigIssue {
  field: string;
  source: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i.field} (${i.source}): ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  schema: JsonSchema;
  /** CLI arguments without node and script (process.argv.slice(2)). */
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Environment prefix, e.g. "MK_" → routeros.restUrl is MK_ROUTEROS_REST_URL. */
  envPrefix: string;
  /** Flags that are not config values (e.g. --standalone) and their arity. */
  extraFlags?: Record<string, 'boolean' | 'string'>;
  /** Short names users expect for config flags, e.g. { kubeconfig: 'cluster.kubeconfig' } makes --kubeconfig mean --cluster.kubeconfig. */
  flagAliases?: Record<string, string>;
}

export interface LoadedConfig<T> {
  config: T;
  /** Where each leaf came from: "file <path>", "env NAME", "flag --x", "default". */
  sources: Map<string, string>;
  /** Values of extraFlags that were given. */
  extras: Record<string, string | boolean>;
  /** The config file read, if any (paths in it are relative to its directory). */
  configFile?: string;
}

interface Leaf {
  path: string[];
  schema: JsonSchema;
}

// Words of a camelCase key; a run of capitals is one word (podCIDR → pod, CIDR), as users write it.
const words = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2').split(' ');
const kebab = (s: string) => words(s).join('-').toLowerCase();
const snake = (s: string) => words(s).join('_').toUpperCase();

function leaves(schema: JsonSchema, prefix: string[] = []): Leaf[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties).flatMap(([k, s]) => leaves(s, [...prefix, k]));
  }
  return prefix.length ? [{ path: prefix, schema }] : [];
}

export function envName(prefix: string, path: string[]): string {
  return prefix + path.map(snake).join('_');
}

export function flagName(path: string[]): string {
  return `--${path.map(kebab).join('.')}`;
}

function leafType(schema: JsonSchema): string {
  const t = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  return t ?? 'string';
}

/** Turns a string from env or a flag into the leaf's JSON type. */
function coerce(raw: string, leaf: Leaf, source: string, issues: ConfigIssue[]): unknown {
  const field = leaf.path.join('.');
  const type = leafType(leaf.schema);
  const bad = (what: string) => {
    issues.push({ field, source, message: `must be ${what}, got ${JSON.stringify(raw)}` });
    return undefined;
  };
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw) : bad('an integer');
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : bad('a number');
    case 'boolean':
      if (/^(true|1|yes)$/i.test(raw)) return true;
      if (/^(false|0|no)$/i.test(raw)) return false;
      return bad('a boolean');
    case 'array': {
      const itemType = leaf.schema.items ? leafType(leaf.schema.items) : 'string';
      const parts = raw === '' ? [] : raw.split(',').map((p) => p.trim());
      if (itemType === 'string') return parts;
      if (itemType === 'object') {
        try {
          return JSON.parse(raw);
        } catch {
          return bad('a JSON array');
        }
      }
      return parts.map((p) => coerce(p, { path: leaf.path, schema: leaf.schema.items ?? {} }, source, issues));
    }
    case 'object':
      try {
        return JSON.parse(raw);
      } catch {
        return bad('a JSON object');
      }
    default:
      return raw;
  }
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
}

function recordFileSources(value: unknown, path: string[], source: string, sources: Map<string, string>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) recordFileSources(v, [...path, k], source, sources);
  } else if (path.length) {
    sources.set(path.join('.'), source);
  }
}

interface ParsedArgs {
  configFile?: string;
  values: Array<{ flag: string; raw: string }>;
  extras: Record<string, string | boolean>;
}

function parseArgs(argv: string[], opts: LoadConfigOptions, flagLeaves: Map<string, Leaf>): ParsedArgs {
  const out: ParsedArgs = { values: [], extras: {} };
  const issues: ConfigIssue[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) {
      issues.push({ field: arg, source: 'command line', message: 'unexpected argument' });
      continue;
    }
    const eq = arg.indexOf('=');
    const given = eq > 0 ? arg.slice(0, eq) : arg;
    const alias = opts.flagAliases?.[given.slice(2)];
    const flag = alias ? `--${alias}` : given;
    const inline = eq > 0 ? arg.slice(eq + 1) : undefined;
    const extra = opts.extraFlags?.[flag.slice(2)];
    const leaf = flagLeaves.get(flag);
    const isBool = extra === 'boolean' || (leaf && leafType(leaf.schema) === 'boolean');
    let raw = inline;
    if (raw === undefined) {
      const next = argv[i + 1];
      if (isBool && (next === undefined || next.startsWith('--') || !/^(true|false|1|0|yes|no)$/i.test(next))) raw = 'true';
      else if (next === undefined) {
        issues.push({ field: flag, source: `flag ${flag}`, message: 'needs a value' });
        continue;
      } else {
        raw = next;
        i++;
      }
    }
    if (flag === '--config') out.configFile = raw;
    else if (extra) out.extras[flag.slice(2)] = extra === 'boolean' ? /^(true|1|yes)$/i.test(raw) : raw;
    else if (leaf) out.values.push({ flag, raw });
    else issues.push({ field: flag, source: 'command line', message: 'unknown flag' });
  }
  if (issues.length) throw new ConfigError(issues);
  return out;
}

function describeAjvError(e: ErrorObject, sources: Map<string, string>, envPrefix: string): ConfigIssue {
  const base = e.instancePath.split('/').filter(Boolean).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  if (e.keyword === 'required') {
    const path = [...base, String((e.params as { missingProperty: string }).missingProperty)];
    return {
      field: path.join('.'),
      source: 'missing',
      message: `is required (set it in the config file, env ${envName(envPrefix, path)} or flag ${flagName(path)})`,
    };
  }
  if (e.keyword === 'additionalProperties') {
    const path = [...base, String((e.params as { additionalProperty: string }).additionalProperty)];
    const field = path.join('.');
    return { field, source: sources.get(field) ?? 'config file', message: 'unknown key' };
  }
  const field = base.join('.') || '(root)';
  const source =
    sources.get(field) ?? [...sources.entries()].find(([k]) => k.startsWith(`${field}.`))?.[1] ?? 'default';
  return { field, source, message: e.message ?? e.keyword };
}

export function loadConfig<T>(opts: LoadConfigOptions): LoadedConfig<T> {
  const env = opts.env ?? process.env;
  const all = leaves(opts.schema);
  const flagLeaves = new Map<string, Leaf>();
  for (const leaf of all) {
    flagLeaves.set(flagName(leaf.path), leaf);
    flagLeaves.set(`--${leaf.path.join('.')}`, leaf);
  }
  const args = parseArgs(opts.argv ?? [], opts, flagLeaves);
  const sources = new Map<string, string>();
  const issues: ConfigIssue[] = [];

  let data: Record<string, unknown> = {};
  const configFile = args.configFile ?? env[`${opts.envPrefix}CONFIG`];
  if (configFile) {
    const source = `file ${configFile}`;
    let text: string;
    try {
      text = readFileSync(configFile, 'utf8');
    } catch (err) {
      throw new ConfigError([{ field: '(file)', source, message: `cannot read: ${(err as Error).message}` }]);
    }
    try {
      const parsed: unknown = parseYaml(text) ?? {};
      if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('top level must be a mapping');
      data = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError([{ field: '(file)', source, message: `not valid YAML: ${(err as Error).message}` }]);
    }
    recordFileSources(data, [], source, sources);
  }

  for (const leaf of all) {
    const name = envName(opts.envPrefix, leaf.path);
    const raw = env[name];
    if (raw === undefined) continue;
    const value = coerce(raw, leaf, `env ${name}`, issues);
    if (value !== undefined) {
      setPath(data, leaf.path, value);
      sources.set(leaf.path.join('.'), `env ${name}`);
    }
  }
  for (const { flag, raw } of args.values) {
    const leaf = flagLeaves.get(flag) as Leaf;
    const value = coerce(raw, leaf, `flag ${flag}`, issues);
    if (value !== undefined) {
      setPath(data, leaf.path, value);
      sources.set(leaf.path.join('.'), `flag ${flag}`);
    }
  }
  if (issues.length) throw new ConfigError(issues);

  return { config: validateConfig<T>(opts.schema, data, sources, opts.envPrefix), sources, extras: args.extras, ...(configFile ? { configFile } : {}) };
}

/**
 * Checks `data` against `schema` and fills in its defaults (in place). `sources` names where
 * each leaf came from; the all-in-one process uses it for the service configs it derives.
 */
export function validateConfig<T>(schema: JsonSchema, data: Record<string, unknown>, sources = new Map<string, string>(), envPrefix = ''): T {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  if (!validate(data)) {
    throw new ConfigError((validate.errors ?? []).map((e) => describeAjvError(e, sources, envPrefix)));
  }
  return data as T;
}
