// `make demo`: the whole system as local processes in standalone mode against
// the built-in RouterOS simulator. Starts every component that exists in this
// checkout (in dependency order), shows the pods of deploy/boot-order.yaml
// running, runs until Ctrl-C, then stops everything it started. Containers run
// for real (runc) where this machine can (root, runc, busybox-static for the
// image); otherwise the simulator emulates them and says why.
import { busyboxUnavailable } from '@mikrotik-kube/routeros-sim';
import { demoComponents } from './components';
import { showcase } from './showcase';
import { startStack, type Stack } from './stack';

async function main(): Promise<void> {
  let stack: Stack;
  try {
    const noImage = busyboxUnavailable();
    if (noImage) console.log(`demo: containers are emulated, no process runs: ${noImage}`);
    stack = await startStack(demoComponents, { log: (l) => console.log(l), containers: noImage ? 'emulated' : 'auto' });
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
    process.exit(1);
  }
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\ndemo: stopping');
    for (const r of await stack.stop()) console.log(`demo: ${r.name} stopped (${r.code ?? r.signal})`);
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));
  for (const { name, proc } of stack.started) {
    void proc.exited.then((r) => {
      if (!stopping) {
        console.error(`demo: ${name} exited unexpectedly (${r.code ?? r.signal}):\n${proc.output().slice(-2000)}`);
        void stopAll(1);
      }
    });
  }
  if (stack.ctx.urls['status']) {
    try {
      await showcase(stack.ctx);
    } catch (err) {
      console.error(`demo: ${(err as Error).message}`);
      await stopAll(1);
      return;
    }
    console.log(`demo: status page (pods, boot-order graph, events, router; live): ${stack.ctx.urls['status']}/`);
  }
  console.log(`demo: ${stack.started.length} component(s) running; press Ctrl-C to stop`);
}

void main();
