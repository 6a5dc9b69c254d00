// Validation of a Unit at the gRPC edge: an ajv schema for the field rules,
// plus the rules that span fields (kubelet: liveness and startup probes need
// successThreshold 1; HTTP/TCP probes need a target address). Every problem
// is reported at once, by field.
import { isIP } from 'node:net';
import Ajv from 'ajv';
import type { kube } from '@mikrotik-kube/proto';

const NAME = '^[A-Za-z0-9]([A-Za-z0-9._/-]{0,251}[A-Za-z0-9])?$';
// RouterOS container names: no whitespace, quotes, slashes or backslashes.
const CONTAINER = '^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,254}$';
const HEADER_NAME = "^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$";

const seconds = (max: number) => ({ type: 'integer', minimum: 0, maximum: max });
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const host = { type: 'string', maxLength: 253, pattern: '^([0-9A-Za-z.:-]*)$' };

const probe = {
  type: ['object', 'null'],
  required: ['handler'],
  properties: {
    handler: { enum: ['http_get', 'tcp_socket', 'routeros_status'] },
    http_get: {
      type: ['object', 'null'],
      properties: {
        scheme: { enum: ['', 'HTTP', 'HTTPS', 'http', 'https'] },
        path: { type: 'string', maxLength: 2048, pattern: '^(/[^\\s]*)?$' },
        port,
        host,
        headers: {
          type: 'array',
          maxItems: 32,
          items: {
            type: 'object',
            required: ['name', 'value'],
            properties: { name: { type: 'string', pattern: HEADER_NAME }, value: { type: 'string', maxLength: 4096, pattern: '^[^\\r\\n]*$' } },
          },
        },
      },
    },
    tcp_socket: { type: ['object', 'null'], properties: { port, host } },
    initial_delay_seconds: seconds(3600),
    period_seconds: seconds(3600),
    timeout_seconds: seconds(3600),
    failure_threshold: seconds(1000),
    success_threshold: seconds(1000),
  },
};

const validateSchema = new Ajv({ allErrors: true }).compile({
  type: 'object',
  required: ['name', 'container'],
  properties: {
    name: { type: 'string', pattern: NAME },
    container: { type: 'string', pattern: CONTAINER },
    depends_on: { type: 'array', maxItems: 64, uniqueItems: true, items: { type: 'string', pattern: NAME } },
    priority: { type: 'integer' },
    restart_policy: { enum: ['RESTART_POLICY_ALWAYS', 'RESTART_POLICY_ON_FAILURE', 'RESTART_POLICY_NEVER'] },
    address: { type: 'string', maxLength: 64 },
    startup_probe: probe,
    liveness_probe: probe,
    readiness_probe: probe,
    max_restarts: { type: 'integer', minimum: 0, maximum: 10_000 },
    restart_with_dependencies: { type: 'boolean' },
  },
});

const PROBES = ['startup_probe', 'liveness_probe', 'readiness_probe'] as const;

/** Problems with a unit, one line each; empty when it is valid. */
export function unitProblems(u: kube.Unit__Output | null | undefined): string[] {
  if (!u) return ['unit is required'];
  if (!validateSchema(u)) {
    return (validateSchema.errors ?? []).map((e) => `unit${e.instancePath.replace(/\//g, '.')}: ${e.message}`);
  }
  const problems: string[] = [];
  if (u.depends_on.includes(u.name)) problems.push(`unit.depends_on: ${u.name} cannot depend on itself`);
  const addr = u.address.split('/')[0] ?? '';
  if (u.address && !isIP(addr)) problems.push(`unit.address: ${JSON.stringify(u.address)} is not an IP address`);
  for (const key of PROBES) {
    const p = u[key];
    if (!p) continue;
    const action = p.handler === 'http_get' ? p.http_get : p.handler === 'tcp_socket' ? p.tcp_socket : undefined;
    if (p.handler !== 'routeros_status' && !action) problems.push(`unit.${key}: ${p.handler} has no action`);
    if (action && !action.host && !u.address) problems.push(`unit.${key}: no host given and the unit has no address`);
    if (key !== 'readiness_probe' && p.success_threshold > 1) problems.push(`unit.${key}.success_threshold: must be 1 for ${key.replace('_probe', '')} probes`);
  }
  return problems;
}
