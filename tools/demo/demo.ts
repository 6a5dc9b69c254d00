// `make demo`: the whole system as local processes in standalone mode against
// the built-in RouterOS simulator. Starts every component that exists in this
// checkout (in dependency order), says what it started, runs until Ctrl-C,
// then stops everything it started.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { demoComponents, type DemoContext } from './components';
import { showcase } from './showcase';

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mikrotik-kube-demo-'));
  const ctx: DemoContext = { dataDir, ports: {}, urls: {} };
  const started: Array<{ name: string; proc: ProcessHandle }> = [];
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\ndemo: stopping');
    for (const { name, proc } of [...started].reverse()) {
      const r = await proc.stop('SIGTERM', 15_000);
      console.log(`demo: ${name} stopped (${r.code ?? r.signal})`);
    }
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  for (const c of demoComponents) {
    if (!existsSync(join(repoRoot, c.entry))) {
      console.log(`demo: ${c.name} not built yet (${c.entry} missing), skipped`);
      continue;
    }
    for (const p of c.ports) ctx.ports[`${c.name}.${p}`] = await freePort();
    const proc = startTsProcess(c.entry, { args: c.args(ctx), env: c.env?.(ctx) ?? {} });
    started.push({ name: c.name, proc });
    try {
      await proc.waitForLine(c.ready, 60_000);
      await c.onReady?.(ctx);
    } catch (err) {
      console.error(`demo: ${c.name} failed to start: ${(err as Error).message}`);
      await stopAll(1);
      return;
    }
    console.log(`demo: started ${c.name} (pid ${proc.pid})${c.describe ? ` — ${c.describe(ctx)}` : ''}`);
  }
  for (const { name, proc } of started) {
    void proc.exited.then((r) => {
      if (!stopping) {
        console.error(`demo: ${name} exited unexpectedly (${r.code ?? r.signal}):\n${proc.output().slice(-2000)}`);
        void stopAll(1);
      }
    });
  }
  if (ctx.urls['status']) {
    try {
      await showcase(ctx);
    } catch (err) {
      console.error(`demo: ${(err as Error).message}`);
      await stopAll(1);
      return;
    }
  }
  console.log(`demo: ${started.length} component(s) running; press Ctrl-C to stop`);
}

void main();
