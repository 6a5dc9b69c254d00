// The edge check of pods read from a file: the fields we read must have the
// types Kubernetes gives them and the names must be Kubernetes names, so
// nothing odd reaches translation or the router. Other fields are allowed
// (translation reports the ones RouterOS cannot express).
import Ajv from 'ajv';

const DNS_SUBDOMAIN = '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$';
const DNS_LABEL = '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$';
const strings = { type: 'array', items: { type: 'string' } };
const port = { anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, { type: 'string', pattern: '^[a-z0-9-]{1,15}$' }] };
const seconds = { type: 'integer', minimum: 0 };
const quantity = { anyOf: [{ type: 'string', maxLength: 64 }, { type: 'number', minimum: 0 }] };

const probe = {
  type: 'object',
  properties: {
    httpGet: {
      type: 'object',
      required: ['port'],
      properties: {
        path: { type: 'string', pattern: '^/[^\\s]*$', maxLength: 2048 },
        port,
        host: { type: 'string', maxLength: 253 },
        scheme: { enum: ['HTTP', 'HTTPS'] },
        httpHeaders: { type: 'array', items: { type: 'object', required: ['name', 'value'], properties: { name: { type: 'string' }, value: { type: 'string' } } } },
      },
    },
    tcpSocket: { type: 'object', required: ['port'], properties: { port, host: { type: 'string', maxLength: 253 } } },
    initialDelaySeconds: seconds,
    periodSeconds: seconds,
    timeoutSeconds: seconds,
    failureThreshold: seconds,
    successThreshold: seconds,
  },
};

const container = {
  type: 'object',
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: DNS_LABEL },
    image: { type: 'string', minLength: 1, maxLength: 512, pattern: '^[^\\s]+$' },
    command: strings,
    args: strings,
    workingDir: { type: 'string', pattern: '^/[^\\x00-\\x1f]*$', maxLength: 1024 },
    env: {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[-._a-zA-Z][-._a-zA-Z0-9]*$' }, value: { type: 'string' }, valueFrom: { type: 'object' } } },
    },
    ports: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, containerPort: { type: 'integer', minimum: 1, maximum: 65535 }, hostPort: { type: 'integer' } } } },
    volumeMounts: {
      type: 'array',
      items: { type: 'object', required: ['name', 'mountPath'], properties: { name: { type: 'string', pattern: DNS_LABEL }, mountPath: { type: 'string' }, readOnly: { type: 'boolean' }, subPath: { type: 'string' } } },
    },
    resources: { type: 'object', properties: { limits: { type: 'object', additionalProperties: quantity }, requests: { type: 'object', additionalProperties: quantity } } },
    livenessProbe: probe,
    readinessProbe: probe,
    startupProbe: probe,
    securityContext: { type: 'object', properties: { runAsUser: { type: 'integer', minimum: 0 }, runAsGroup: { type: 'integer', minimum: 0 } } },
  },
};

const podSchema = {
  type: 'object',
  required: ['metadata', 'spec'],
  properties: {
    apiVersion: { const: 'v1' },
    kind: { const: 'Pod' },
    metadata: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: DNS_SUBDOMAIN },
        namespace: { type: 'string', pattern: DNS_LABEL },
        annotations: { type: 'object', additionalProperties: { type: 'string' } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    },
    spec: {
      type: 'object',
      required: ['containers'],
      properties: {
        containers: { type: 'array', minItems: 1, items: container },
        initContainers: { type: 'array' },
        volumes: { type: 'array', items: { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: DNS_LABEL } } } },
        restartPolicy: { enum: ['Always', 'OnFailure', 'Never'] },
        hostname: { type: 'string', pattern: DNS_LABEL },
        securityContext: { type: 'object', properties: { runAsUser: { type: 'integer', minimum: 0 }, runAsGroup: { type: 'integer', minimum: 0 } } },
      },
    },
  },
};

const validate = new Ajv({ allErrors: true, strict: false }).compile(podSchema);

/** Problems with the pod document, each naming its field; empty when it is fine. */
export function checkPod(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath.replace(/^\//, '').replace(/\//g, '.') || '(document)'} ${e.message ?? 'is invalid'}`);
}
