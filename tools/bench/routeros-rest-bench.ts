// RouterOS REST client benchmark: our client (got, keep-alive, typed parsing) against curl (one
// process, keep-alive across `next`) doing the same calls on the same simulator process.
// Plain got (the same HTTP library without our layers) runs too. Prints calls per second and
// the ratios ours/got and ours/curl; the simulator's /_sim/stats
// confirms both made the same number of REST calls.
// Run: node --import tsx tools/bench/routeros-rest-bench.ts [--calls 500] [--rows 200]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent as HttpAgent } from 'node:http';
import got from 'got';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { startTsProcess } from '@mikrotik-kube/test-support';
import { atLeast, figure } from './figure';

const { values } = parseArgs({ options: { calls: { type: 'string', default: '500' }, rows: { type: 'string', default: '200' } } });
const CALLS = Number(values.calls);
const ROWS = Number(values.rows);
const dir = mkdtempSync(join(tmpdir(), 'routeros-rest-bench-'));
const sim = startTsProcess('libs/routeros-sim/src/cli.ts', { args: ['--rest-port', '0', '--data-dir', join(dir, 'sim'), '--user', 'bench', '--password', 'pw'] });

async function main(): Promise<void> {
  const line = await sim.waitForLine(/routeros-sim ready/, 60_000);
  const rest = /rest=(\S+)/.exec(line)?.[1] as string;
  const admin = /admin=(\S+)/.exec(line)?.[1] as string;
  const ros = new RouterOsClient({ url: rest, username: 'bench', password: 'pw' });
  const calls = async () => ((await (await fetch(`${admin}/stats`)).json()) as { total: number }).total;
  const reset = () => fetch(`${admin}/stats/reset`, { method: 'POST' });
  for (let i = 0; i < ROWS; i++) await ros.veths.add({ name: `seed${i}`, addresses: [`10.0.${i >> 8}.${i & 255}/16`] });

  const curl = (name: string, entries: string[]) => {
    const cfg = join(dir, `${name}.curl`);
    writeFileSync(cfg, entries.join('next\n'));
    const t = process.hrtime.bigint();
    const r = spawnSync('curl', ['-s', '--config', cfg], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`curl failed: ${r.stderr}`);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const entry = (url: string, extra = '') => `url = "${url}"\nuser = "bench:pw"\noutput = "/dev/null"\n${extra}`;
  const timed = async (fn: () => Promise<void>) => {
    const t = process.hrtime.bigint();
    await fn();
    return Number(process.hrtime.bigint() - t) / 1e6;
  };

  // Both sides warm up first (JIT in the client and in the simulator), then run alternately
  // ROUNDS times; the best round of each counts.
  const ROUNDS = 3;
  const measure = async (ours: (round: number, n: number) => Promise<void>, plain: (round: number, n: number) => Promise<void>, theirs: (round: number, n: number) => number) => {
    await ours(-1, 50);
    await plain(-2, 50);
    theirs(-1, 50);
    let best = { ours: Infinity, got: Infinity, curl: Infinity, oursCalls: 0, curlCalls: 0 };
    for (let r = 0; r < ROUNDS; r++) {
      await reset();
      const o = await timed(() => ours(r, CALLS));
      const oc = await calls();
      const g = await timed(() => plain(r, CALLS));
      await reset();
      const c = theirs(r, CALLS);
      const cc = await calls();
      best = { ours: Math.min(best.ours, o), got: Math.min(best.got, g), curl: Math.min(best.curl, c), oursCalls: oc, curlCalls: cc };
    }
    return best;
  };
  // The HTTP library alone (keep-alive, text body, no typing or error mapping): shows what our layers add.
  const raw = got.extend({ prefixUrl: `${rest}/`, username: 'bench', password: 'pw', agent: { http: new HttpAgent({ keepAlive: true }) } });
  const rows: Array<[string, Awaited<ReturnType<typeof measure>>]> = [];
  rows.push([
    `GET list of ${ROWS} veths`,
    await measure(
      async (_r, n) => {
        for (let i = 0; i < n; i++) await ros.veths.list();
      },
      async (_r, n) => {
        for (let i = 0; i < n; i++) JSON.parse(await raw('interface/veth').text());
      },
      (r, n) => curl(`list${r}`, Array.from({ length: n }, () => entry(`${rest}/interface/veth`))),
    ),
  ]);
  const put = (name: string) => `request = "PUT"\nheader = "content-type: application/json"\ndata = "{\\"name\\":\\"${name}\\"}"\n`;
  rows.push([
    'PUT add bridge',
    await measure(
      async (r, n) => {
        for (let i = 0; i < n; i++) await ros.bridges.add({ name: `ours${r}-${i}` });
      },
      async (r, n) => {
        for (let i = 0; i < n; i++) JSON.parse(await raw.put('interface/bridge', { json: { name: `got${r}-${i}` } }).text());
      },
      (r, n) => curl(`add${r}`, Array.from({ length: n }, (_, i) => entry(`${rest}/interface/bridge`, put(`curl${r}-${i}`)))),
    ),
  ]);
  ros.close();

  console.log(`routeros-rest bench: ${CALLS} sequential calls each, best of 3 rounds after warm-up, simulator process on loopback`);
  console.log('work                      ours calls/s  plain got/s  curl calls/s  ours/got  ours/curl  REST calls ours/curl');
  for (const [name, m] of rows) {
    const [o, g, c] = [m.ours, m.got, m.curl].map((ms) => (CALLS / ms) * 1000) as [number, number, number];
    console.log(
      `${name.padEnd(25)} ${o.toFixed(0).padStart(12)}  ${g.toFixed(0).padStart(11)}  ${c.toFixed(0).padStart(12)}  ${(o / g).toFixed(2).padStart(8)}  ${(o / c).toFixed(2).padStart(9)}  ${m.oursCalls}/${m.curlCalls}`,
    );
  }
  // Our layers (typing, error mapping) may cost at most a tenth over the bare HTTP library; curl is the peer to beat.
  for (const [name, m] of rows) {
    figure('routeros-rest', `${name}: calls/s ours/got`, m.got / m.ours, atLeast(0.9), 'x');
    figure('routeros-rest', `${name}: calls/s ours/curl`, m.curl / m.ours, atLeast(1), 'x');
  }
}

main()
  .catch((e: unknown) => {
    console.error(e, `\nsimulator output:\n${sim.output().slice(-2000)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });
