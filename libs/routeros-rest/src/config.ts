// The RouterOS connection every service configures the same way:
// `routeros.{url,user,password,caFile,insecure,timeoutMs}`.
import { readFileSync } from 'node:fs';
import { RouterOsClient } from './client';

export interface RouterOsConnectionConfig {
  /** REST base, e.g. https://192.168.88.1/rest */
  url: string;
  user: string;
  password: string;
  /** PEM bundle that signs the router's certificate. */
  caFile?: string;
  /** Skip TLS verification (explicit opt-in only). */
  insecure: boolean;
  timeoutMs: number;
}

/** JSON schema of the `routeros` config object (ajv, strict). */
export function routerOsConnectionSchema(defaultTimeoutMs = 10_000): Record<string, unknown> {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    required: ['url'],
    properties: {
      url: { type: 'string', pattern: '^https?://' },
      user: { type: 'string', minLength: 1, default: 'admin' },
      password: { type: 'string', default: '' },
      caFile: { type: 'string', minLength: 1 },
      insecure: { type: 'boolean', default: false },
      // RouterOS cuts REST requests at 60 s.
      timeoutMs: { type: 'integer', minimum: 100, maximum: 65_000, default: defaultTimeoutMs },
    },
  };
}

export function clientFromConfig(cfg: RouterOsConnectionConfig): RouterOsClient {
  return new RouterOsClient({
    url: cfg.url,
    username: cfg.user,
    password: cfg.password,
    ...(cfg.caFile ? { ca: readFileSync(cfg.caFile) } : {}),
    insecureSkipVerify: cfg.insecure,
    timeoutMs: cfg.timeoutMs,
  });
}
