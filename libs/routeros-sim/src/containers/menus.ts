// /container, /container/config, /container/envs, /container/mounts with their
// per-version argument names (docs/routeros.md "What changes with the version").
import { randomUUID } from 'node:crypto';
import { badRequest, invalidValue, noSuchItem } from '../state/errors';
import type { MenuContext, MenuSpec } from '../state/menu-spec';
import type { Row } from '../state/values';
import type { VersionProfile } from '../state/version';
import { CONTAINER_LOG, type ContainerRuntime, type ContainerStatus } from './runtime';

function containerArgs(p: VersionProfile): string[] {
  const args = [
    'name', 'cmd', 'comment', 'copy-from', 'dns', 'domain-name', 'entrypoint', 'file', 'hostname', 'interface',
    'logging', 'remote-image', 'root-dir', 'start-on-boot', 'stop-signal', 'user', 'workdir',
    p.containerEnvArg, p.containerMountArg,
  ];
  if (p.at('7.20')) args.push('check-certificate', 'devices', 'memory-high', ...(p.at('7.23') ? [] : ['auto-restart-interval']));
  if (p.at('7.21')) args.push('mount', 'env', 'cpu-list', 'hosts', 'layer-dir', 'stop-time');
  if (p.at('7.21.2')) args.push('shm-size', 'tmpfs');
  if (p.at('7.22')) args.push('healthcheck-cmd', 'healthcheck-interval', 'healthcheck-retries', 'healthcheck-start-interval', 'healthcheck-start-period', 'healthcheck-timeout');
  if (p.at('7.23')) args.push('restart-interval', 'restart-policy', 'restart-max-count', 'default-dns', 'memory-max', 'shell', 'stop-on-unhealthy');
  return args;
}

/** What a small running container shows until a test sets its usage (admin endpoint). */
const DEFAULT_MEMORY_BYTES = String(12 * 1024 * 1024);
const DEFAULT_CPU_PERCENT = '1';

const FLAGS: ContainerStatus[] = ['stopped', 'starting', 'running', 'stopping', 'extracting'];

/**
 * ≤7.19: `status`; 7.20+: one boolean-string flag per state, none set when import failed.
 * 7.23+ also reports usage (`memory-current`/`cpu-usage`, documented without units; see
 * docs/routeros.md "Undocumented: our choices"): our choice, documented in the README, is
 * bytes and a percentage of the whole router's CPU like `cpu-load`, both plain numbers, 0
 * unless running.
 */
function renderContainer(row: Row, ctx: MenuContext, runtime: ContainerRuntime): Row {
  const status = (row['_status'] ?? 'stopped') as ContainerStatus;
  const out: Row = { ...row };
  if (ctx.profile.at('7.23')) {
    const running = status === 'running';
    out['memory-current'] = running ? (runtime.memoryOf(row) ?? DEFAULT_MEMORY_BYTES) : '0';
    out['cpu-usage'] = running ? (row['_cpu'] ?? DEFAULT_CPU_PERCENT) : '0';
  }
  if (!ctx.profile.containerStatusFlags) return { ...out, status };
  for (const f of FLAGS) out[f] = status === f ? 'true' : 'false';
  return out;
}

function checkContainer(args: Row, row: Row | undefined, ctx: MenuContext): void {
  if (args['interface'] !== undefined) {
    if (args['interface'] === '') throw invalidValue('interface');
    const veths = ctx.state.menu('interface/veth').rows();
    for (const i of args['interface'].split(',')) if (!veths.some((v) => v['name'] === i)) throw noSuchItem('interface');
  }
  if (args['name'] !== undefined && !/^[^\s"\\/]{1,255}$/.test(args['name'])) throw invalidValue('name');
  if (args['root-dir'] !== undefined && args['root-dir'] !== '') {
    const rd = args['root-dir'].replace(/^\/+/, '');
    if (rd.split('/').includes('..')) throw invalidValue('root-dir');
    const overlaps = ctx.state.menu('container').rows().some((c) => c !== row && c['root-dir'] && (c['root-dir'] === rd || c['root-dir'].startsWith(`${rd}/`) || rd.startsWith(`${c['root-dir']}/`)));
    if (overlaps) throw badRequest('failure: root-dir overlaps with another container');
  }
  if (args['stop-signal'] !== undefined && !/^\d{1,2}(-SIG[A-Z0-9]+)?$/.test(args['stop-signal'])) throw invalidValue('stop-signal');
}

export function containerMenu(runtime: () => ContainerRuntime): MenuSpec {
  return {
    path: 'container',
    nameField: 'name',
    unique: ['name'],
    duplicateDetail: 'failure: container with such name already exists',
    booleans: ['logging', 'start-on-boot', 'check-certificate', 'stop-on-unhealthy', 'default-dns'],
    args: containerArgs,
    required: () => ['interface'],
    defaults: () => ({ logging: 'false', 'start-on-boot': 'false', 'stop-signal': '15', 'root-dir': '', _status: 'extracting' }),
    render: (row, ctx) => renderContainer(row, ctx, runtime()),
    hooks: {
      validateAdd: (a, ctx) => {
        if (!a['file'] && !a['remote-image']) throw badRequest('failure: remote-image or file must be specified');
        if (a['file'] && a['remote-image']) throw badRequest('failure: specify either remote-image or file');
        checkContainer(a, undefined, ctx);
        const out: Row = {};
        if (!a['name']) out['name'] = randomUUID();
        if (a['root-dir']) out['root-dir'] = a['root-dir'].replace(/^\/+/, '');
        return out;
      },
      validateSet: (row, a, ctx) => {
        if (row['_status'] !== 'stopped' && row['_status'] !== 'error') {
          const onlyMeta = Object.keys(a).every((k) => k === 'comment' || k === 'start-on-boot' || k === 'logging');
          if (!onlyMeta) throw badRequest('failure: container should be stopped');
        }
        checkContainer(a, row, ctx);
        const out: Row = {};
        if (a['root-dir']) out['root-dir'] = a['root-dir'].replace(/^\/+/, '');
        return out;
      },
      validateRemove: (row) => runtime().checkRemovable(row),
      afterAdd: (row) => runtime().extract(row['.id'] as string),
      afterRemove: (row) => runtime().forget(row),
    },
    commands: {
      start: (args) => {
        for (const ref of refsOf(args)) runtime().start(ref);
        return [];
      },
      stop: (args) => {
        for (const ref of refsOf(args)) runtime().stop(ref);
        return [];
      },
    },
  };
}

/** Item references of a command: `.id` or `numbers` (7.20+ `start`/`stop`), `number` before. */
export function refsOf(args: Record<string, unknown>): string[] {
  const raw = args['.id'] ?? args['numbers'] ?? args['number'];
  if (typeof raw !== 'string' || raw === '') throw badRequest('missing =.id=');
  return raw.split(',').map((s) => s.trim());
}

export const containerConfigMenu: MenuSpec = {
  path: 'container/config',
  singleton: true,
  booleans: [],
  args: (p) => ['registry-url', 'username', 'password', 'tmpdir', 'layer-dir', p.configMemoryField, ...(p.at('7.23') ? ['memory-max'] : [])],
  initial: (ctx) => [{ 'registry-url': 'https://registry-1.docker.io', username: '', password: '', tmpdir: '', 'layer-dir': '', [ctx.profile.configMemoryField]: 'unlimited' }],
  render: (row) => {
    const { password: _p, ...rest } = row;
    return { ...rest, 'assumed-registry-url': row['registry-url'] ?? '', 'memory-current': '0' };
  },
};

export const containerEnvsMenu: MenuSpec = {
  path: 'container/envs',
  booleans: ['disabled'],
  args: (p) => [p.envsListField, 'key', 'value', 'comment', ...(p.at('7.21') ? ['disabled'] : [])],
  required: (p) => [p.envsListField, 'key'],
  defaults: (ctx) => ({ value: '', ...(ctx.profile.at('7.21') ? { disabled: 'false' } : {}) }),
  hooks: {
    validateAdd: (a) => {
      if (a['key'] !== undefined && !/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(a['key'])) throw invalidValue('key');
    },
  },
};

export const containerMountsMenu: MenuSpec = {
  path: 'container/mounts',
  booleans: ['disabled', 'read-only'],
  args: (p) => [p.mountsListField, 'src', 'dst', 'comment', ...(p.mountAccessField ? [p.mountAccessField] : []), ...(p.at('7.21') ? ['disabled'] : [])],
  required: (p) => [p.mountsListField, 'dst', ...(p.at('7.21') ? [] : ['src'])],
  defaults: (ctx) => ({
    src: '',
    ...(ctx.profile.mountAccessField === 'read-only' ? { 'read-only': 'false' } : {}),
    ...(ctx.profile.mountAccessField === 'mode' ? { mode: 'rw' } : {}),
    ...(ctx.profile.at('7.21') ? { disabled: 'false' } : {}),
  }),
  hooks: {
    validateAdd: (a) => {
      if (a['mode'] !== undefined && !['rw', 'ro', 'rw,noexec', 'ro,noexec'].includes(a['mode'])) throw invalidValue('mode');
      if (a['dst'] !== undefined && !a['dst'].startsWith('/')) throw invalidValue('dst');
      const out: Row = {};
      if (a['src']) out['src'] = a['src'].replace(/^\/+/, '');
      return out;
    },
  },
};

/** `/container/log` (7.20+): time, container, message; appended by the runtime, bounded like /log. */
export const containerLogMenu: MenuSpec = {
  path: CONTAINER_LOG,
  readOnly: true,
};
