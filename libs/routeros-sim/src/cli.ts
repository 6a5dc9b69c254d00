// `npm run sim -- --rest-port 0 --data-dir /tmp/sim --user admin --password secret`
// Prints one `routeros-sim ready …` line with its URLs, stops cleanly on SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { Simulator } from './simulator';
import type { SimArch } from './menus/system';

const FAULT_FLAGS = { 'latency-ms': 'latencyMs', 'error-rate': 'errorRate', 'reset-rate': 'resetRate', 'extract-ms': 'extractMs', 'crash-after-ms': 'crashAfterMs' } as const;

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a non-negative number`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'rest-port': { type: 'string', default: '0' },
      'ssh-port': { type: 'string' },
      host: { type: 'string', default: '127.0.0.1' },
      'nvme-host': { type: 'string' },
      'data-dir': { type: 'string' },
      user: { type: 'string', default: 'admin' },
      password: { type: 'string', default: '' },
      'routeros-version': { type: 'string', default: '7.21' },
      arch: { type: 'string', default: 'arm64' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'request-limit-ms': { type: 'string' },
      containers: { type: 'string', default: 'emulated' },
      ...Object.fromEntries(Object.keys(FAULT_FLAGS).map((k) => [k, { type: 'string' as const }])),
    },
    strict: true,
  });
  if (!['arm64', 'arm', 'x86'].includes(values.arch)) throw new Error('--arch must be arm64, arm or x86');
  if (!['real', 'auto', 'emulated'].includes(values.containers)) throw new Error('--containers must be real, auto or emulated');
  if (!!values['tls-cert'] !== !!values['tls-key']) throw new Error('--tls-cert and --tls-key go together');
  const faults: Record<string, number> = {};
  for (const [flag, key] of Object.entries(FAULT_FLAGS)) {
    const v = num(flag, (values as Record<string, string | undefined>)[flag]);
    if (v !== undefined) faults[key] = v;
  }
  const sim = new Simulator({
    restPort: num('rest-port', values['rest-port']),
    sshPort: num('ssh-port', values['ssh-port']),
    host: values.host,
    nvmeHost: values['nvme-host'],
    dataDir: values['data-dir'],
    users: { [values.user]: values.password },
    version: values['routeros-version'],
    arch: values.arch as SimArch,
    faults,
    requestLimitMs: num('request-limit-ms', values['request-limit-ms']),
    containers: values.containers as 'real' | 'auto' | 'emulated',
    tls: values['tls-cert'] && values['tls-key'] ? { cert: values['tls-cert'], key: values['tls-key'] } : undefined,
  });
  const urls = await sim.start();
  const line = Object.entries(urls).map(([k, v]) => `${k}=${v}`).join(' ');
  const mode = sim.containerMode;
  if (mode.mode === 'emulated' && values.containers !== 'emulated') process.stderr.write(`routeros-sim: containers are emulated (no processes run): ${mode.reason}\n`);
  const containers = mode.mode === 'real' ? 'real' : 'emulated';
  process.stdout.write(`routeros-sim ready ${line} containers=${containers} version=${sim.state.profile.version} arch=${values.arch}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void sim.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((e: unknown) => {
  process.stderr.write(`routeros-sim: ${(e as Error).message}\n`);
  process.exit(1);
});
