import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, envName, flagName, loadConfig, serviceSchema, type BaseConfig } from '../src';

interface TestConfig extends BaseConfig {
  routeros: { restUrl: string; timeoutMs: number; insecure: boolean };
  networks: string[];
}

const schema = serviceSchema(
  {
    routeros: {
      type: 'object',
      additionalProperties: false,
      properties: {
        restUrl: { type: 'string', minLength: 1 },
        timeoutMs: { type: 'integer', minimum: 1, default: 10_000 },
        insecure: { type: 'boolean', default: false },
      },
      required: ['restUrl'],
    },
    networks: { type: 'array', items: { type: 'string' }, default: [] },
  },
  ['routeros'],
);

function yamlFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'cfg-')), 'config.yaml');
  writeFileSync(file, text);
  return file;
}

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('names env variables and flags by words, a run of capitals being one word', () => {
    expect(envName('MK_', ['routeros', 'restUrl'])).toBe('MK_ROUTEROS_REST_URL');
    expect(envName('MK_', ['network', 'podCIDR'])).toBe('MK_NETWORK_POD_CIDR');
    expect(flagName(['network', 'podCIDR'])).toBe('--network.pod-cidr');
    expect(flagName(['grpc', 'maxMessageBytes'])).toBe('--grpc.max-message-bytes');
  });

  it('layers file < env < flags and fills defaults', () => {
    const file = yamlFile('routeros:\n  restUrl: https://file/rest\n  timeoutMs: 5\nhttp:\n  port: 1000\n');
    const { config, sources } = loadConfig<TestConfig>({
      schema,
      envPrefix: 'MK_',
      argv: ['--config', file, '--http.port=3000', '--routeros.insecure'],
      env: { MK_HTTP_PORT: '2000', MK_ROUTEROS_TIMEOUT_MS: '7', MK_NETWORKS: 'a, b' },
    });
    expect(config.routeros).toEqual({ restUrl: 'https://file/rest', timeoutMs: 7, insecure: true });
    expect(config.http.port).toBe(3000);
    expect(config.http.host).toBe('0.0.0.0');
    expect(config.grpc.port).toBe(9090);
    expect(config.networks).toEqual(['a', 'b']);
    expect(sources.get('http.port')).toBe('flag --http.port');
    expect(sources.get('routeros.timeoutMs')).toBe('env MK_ROUTEROS_TIMEOUT_MS');
    expect(sources.get('routeros.restUrl')).toBe(`file ${file}`);
  });

  it('accepts kebab-case flags and leaves values not given alone', () => {
    const file = yamlFile('routeros:\n  restUrl: https://file/rest\n  timeoutMs: 5\n');
    const { config } = loadConfig<TestConfig>({
      schema,
      envPrefix: 'MK_',
      argv: ['--config', file, '--routeros.rest-url', 'https://flag/rest'],
      env: {},
    });
    expect(config.routeros.restUrl).toBe('https://flag/rest');
    expect(config.routeros.timeoutMs).toBe(5);
  });

  it('names field and source for a bad type', () => {
    const issues = issuesOf(() =>
      loadConfig({ schema, envPrefix: 'MK_', argv: [], env: { MK_HTTP_PORT: 'eighty', MK_ROUTEROS_REST_URL: 'x' } }),
    );
    expect(issues).toEqual([{ field: 'http.port', source: 'env MK_HTTP_PORT', message: 'must be an integer, got "eighty"' }]);
  });

  it('names the file for a bad type in YAML', () => {
    const file = yamlFile('routeros:\n  restUrl: x\ngrpc:\n  port: "high"\n');
    const issues = issuesOf(() => loadConfig({ schema, envPrefix: 'MK_', argv: ['--config', file], env: {} }));
    expect(issues).toEqual([{ field: 'grpc.port', source: `file ${file}`, message: 'must be integer' }]);
  });

  it('rejects an unknown key with its path', () => {
    const file = yamlFile('routeros:\n  restUrl: x\n  restURL: y\n');
    const issues = issuesOf(() => loadConfig({ schema, envPrefix: 'MK_', argv: ['--config', file], env: {} }));
    expect(issues).toEqual([{ field: 'routeros.restURL', source: `file ${file}`, message: 'unknown key' }]);
  });

  it('says how to set a missing required field', () => {
    const issues = issuesOf(() => loadConfig({ schema, envPrefix: 'MK_', argv: [], env: {} }));
    expect(issues).toEqual([
      {
        field: 'routeros',
        source: 'missing',
        message: 'is required (set it in the config file, env MK_ROUTEROS or flag --routeros)',
      },
    ]);
    const nested = issuesOf(() =>
      loadConfig({ schema, envPrefix: 'MK_', argv: [], env: { MK_ROUTEROS_TIMEOUT_MS: '3' } }),
    );
    expect(nested[0]).toMatchObject({ field: 'routeros.restUrl', source: 'missing' });
    expect(nested[0]?.message).toContain('MK_ROUTEROS_REST_URL');
    expect(nested[0]?.message).toContain('--routeros.rest-url');
  });

  it('refuses unknown flags and flags without a value', () => {
    expect(issuesOf(() => loadConfig({ schema, envPrefix: 'MK_', argv: ['--nope', '1'], env: {} }))).toEqual([
      { field: '--nope', source: 'command line', message: 'unknown flag' },
    ]);
    expect(issuesOf(() => loadConfig({ schema, envPrefix: 'MK_', argv: ['--http.port'], env: {} }))[0]).toMatchObject({
      field: '--http.port',
      message: 'needs a value',
    });
  });

  it('reports unreadable and malformed files', () => {
    expect(issuesOf(() => loadConfig({ schema, envPrefix: 'MK_', argv: ['--config', '/nonexistent.yaml'], env: {} }))[0]?.message).toMatch(
      /cannot read/,
    );
    const file = yamlFile('routeros: [unclosed\n');
    expect(issuesOf(() => loadConfig({ schema, envPrefix: 'MK_', argv: ['--config', file], env: {} }))[0]?.message).toMatch(
      /not valid YAML/,
    );
  });

  it('passes declared extra flags through', () => {
    const { extras } = loadConfig({
      schema,
      envPrefix: 'MK_',
      argv: ['--standalone', '--pods', 'x.yaml'],
      env: { MK_ROUTEROS_REST_URL: 'x' },
      extraFlags: { standalone: 'boolean', pods: 'string' },
    });
    expect(extras).toEqual({ standalone: true, pods: 'x.yaml' });
  });

  it('takes flag aliases as the config flags they stand for', () => {
    const flagAliases = { url: 'routeros.rest-url', timeout: 'routeros.timeoutMs' };
    const { config, sources } = loadConfig<TestConfig>({ schema, envPrefix: 'MK_', argv: ['--url', 'https://r/rest', '--timeout=5'], env: {}, flagAliases });
    expect(config.routeros).toMatchObject({ restUrl: 'https://r/rest', timeoutMs: 5 });
    expect(sources.get('routeros.restUrl')).toMatch(/flag/);
    expect(() => loadConfig({ schema, envPrefix: 'MK_', argv: ['--url', 'x', '--timeout', 'soon'], env: {}, flagAliases })).toThrow(/routeros\.timeoutMs/);
  });
});
