// The registry's configuration schema (YAML < env REGISTRY_* < flags) and the
// `--upstream name=url` shorthand, which may be repeated or comma-separated.
import { ConfigError, serviceSchema, type BaseConfig, type ConfigIssue, type JsonSchema } from '@mikrotik-kube/service-kit';

export interface UpstreamConfig {
  /** Local namespace prefix that selects this upstream (`dockerhub/alpine` → dockerhub). */
  name: string;
  url: string;
  /** Serve every repository no other upstream claims, without a prefix. */
  mirror: boolean;
  /** Docker Hub's `library/` for one-component names; default: when the host is Docker Hub. */
  libraryDefault?: boolean;
  username?: string;
  password?: string;
  /** A mounted Secret file holding the password (trailing newline ignored). */
  passwordFile?: string;
  /** How long a cached tag is served before it is re-checked upstream. */
  tagTtlSeconds: number;
}

export interface RegistryConfig extends BaseConfig {
  listen: string;
  storageDir: string;
  maxManifestBytes: number;
  maxBlobBytes: number;
  uploadTtlSeconds: number;
  gc: { intervalSeconds: number; graceSeconds: number; deleteUntagged: boolean };
  auth: { htpasswdFile: string; anonymousRead: boolean };
  tls: { certFile: string; keyFile: string };
  upstream: string[];
  upstreams: UpstreamConfig[];
}

const upstreamSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'url'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*$' },
    url: { type: 'string', pattern: '^https?://[^/]+/?$' },
    mirror: { type: 'boolean', default: false },
    libraryDefault: { type: 'boolean' },
    username: { type: 'string' },
    password: { type: 'string' },
    passwordFile: { type: 'string' },
    tagTtlSeconds: { type: 'number', minimum: 0, default: 300 },
  },
};

export const registrySchema = serviceSchema(
  {
    listen: { type: 'string', pattern: '^[^\\s]*:\\d{1,5}$', default: '127.0.0.1:5000' },
    storageDir: { type: 'string', minLength: 1 },
    // The spec asks registries to accept manifests of at least 4 MiB; larger ones get 413.
    maxManifestBytes: { type: 'integer', minimum: 4 * 1024 * 1024, default: 4 * 1024 * 1024 },
    maxBlobBytes: { type: 'integer', minimum: 1, default: 64 * 1024 ** 3 },
    uploadTtlSeconds: { type: 'number', exclusiveMinimum: 0, default: 24 * 3600 },
    gc: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        intervalSeconds: { type: 'number', minimum: 0, default: 0 },
        graceSeconds: { type: 'number', minimum: 0, default: 3600 },
        deleteUntagged: { type: 'boolean', default: false },
      },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        htpasswdFile: { type: 'string', default: '' },
        anonymousRead: { type: 'boolean', default: false },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: { certFile: { type: 'string', default: '' }, keyFile: { type: 'string', default: '' } },
    },
    upstream: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9._-]+=https?://' }, default: [] },
    upstreams: { type: 'array', items: upstreamSchema, default: [] },
  },
  ['storageDir'],
);

/** Folds repeated `--upstream a --upstream b` into one comma list the config loader accepts. */
export function foldRepeatedFlag(argv: string[], flag: string): string[] {
  const values: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === flag && i + 1 < argv.length) values.push(argv[++i] as string);
    else if (a.startsWith(`${flag}=`)) values.push(a.slice(flag.length + 1));
    else rest.push(a);
  }
  return values.length ? [...rest, flag, values.join(',')] : rest;
}

/** Whether a URL carries `user:password@`; unparsable URLs are the schema's business. */
function hasUserinfo(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return false;
  }
}

/**
 * All upstreams: the YAML list plus `name=url` shorthands (prefix = name). Throws
 * ConfigError for credentials written into a URL: URLs end up in logs and error
 * messages, so credentials go in `username` + `passwordFile` (the message never repeats them).
 */
export function resolveUpstreams(config: RegistryConfig): UpstreamConfig[] {
  const short = config.upstream.map((s): UpstreamConfig => {
    const eq = s.indexOf('=');
    return { name: s.slice(0, eq), url: s.slice(eq + 1), mirror: false, tagTtlSeconds: 300 };
  });
  const all = [...config.upstreams, ...short];
  const issues: ConfigIssue[] = [];
  const names = new Set<string>();
  for (const u of all) {
    if (names.has(u.name)) issues.push({ field: 'upstreams', source: u.name, message: `upstream ${u.name} is configured twice` });
    names.add(u.name);
    if (hasUserinfo(u.url)) {
      issues.push({
        field: 'upstreams.url',
        source: u.name,
        message: 'credentials in the url are refused (they would be logged); set username and passwordFile instead',
      });
    }
  }
  if (all.filter((u) => u.mirror).length > 1) issues.push({ field: 'upstreams', source: 'mirror', message: 'only one upstream may be the mirror' });
  if (issues.length) throw new ConfigError(issues);
  return all;
}

export function parseListen(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':');
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(listen.slice(i + 1)) };
}
