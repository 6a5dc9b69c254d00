// After everything started: wait until every pod is Running and ready and print
// the status table in boot order. With real containers the web pod is busybox
// httpd on its pod address; with emulated ones (no process runs) the
// simulator's admin endpoint opens a real listener on its 127.x address, so the
// readiness probe is a real network probe either way.
import type { V1Pod } from '@kubernetes/client-node';
import { execFileSync } from 'node:child_process';
import { repoRoot } from '@mikrotik-kube/test-support';
import { DEMO_PASSWORD, DEMO_USER, type DemoContext } from './components';

/** RouterOS name of the container that serves HTTP in deploy/boot-order.yaml. */
const WEB_CONTAINER = 'default_web_web';

/** The status table as a user sees it: the `mkube status` CLI run against vk-provider. */
function mkubeStatus(statusUrl: string): string {
  try {
    return execFileSync(process.execPath, ['--import', 'tsx', 'apps/vk-provider/src/cli.ts', 'status', '--url', statusUrl], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 30_000,
    });
  } catch (e) {
    return `(mkube status failed: ${(e as Error).message})\n`;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(250);
  }
}

export async function pods(statusUrl: string): Promise<V1Pod[]> {
  const res = await fetch(`${statusUrl}/api/v1/pods`);
  if (!res.ok) throw new Error(`status API answered ${res.status}`);
  return ((await res.json()) as { items: V1Pod[] }).items;
}

export const allRunning = (list: V1Pod[]) =>
  list.length > 0 && list.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready));

/** Emulated containers run nothing: a listener stands in for the web pod's server. */
async function emulateWeb(ctx: DemoContext, timeoutMs: number): Promise<void> {
  const auth = `Basic ${Buffer.from(`${DEMO_USER}:${DEMO_PASSWORD}`).toString('base64')}`;
  await until(`container ${WEB_CONTAINER} on the router`, timeoutMs, async () => {
    const res = await fetch(`${ctx.urls['rest']}/container?name=${WEB_CONTAINER}`, { headers: { authorization: auth } });
    return res.ok && ((await res.json()) as unknown[]).length > 0 ? true : undefined;
  });
  const listen = await fetch(`${ctx.urls['simAdmin']}/containers/${WEB_CONTAINER}/listen`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ port: 8080, kind: 'http', status: 200, body: 'ok\n' }),
  });
  if (!listen.ok) throw new Error(`simulator listen: ${listen.status} ${await listen.text()}`);
  console.log(`demo: ${WEB_CONTAINER} answers HTTP on :8080 of its pod address (readiness probe target)`);
}

export async function showcase(ctx: DemoContext, timeoutMs = 180_000): Promise<V1Pod[]> {
  if (ctx.containers.actual !== 'real') await emulateWeb(ctx, timeoutMs);
  const status = ctx.urls['status'] as string;
  let last: V1Pod[] = [];
  const list = await until('every pod Running and ready', timeoutMs, async () => {
    last = await pods(status);
    return allRunning(last) ? last : undefined;
  }).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; last status:\n${mkubeStatus(status)}`);
  });
  console.log(`\n${mkubeStatus(status)}`);
  const web = list.find((p) => p.metadata?.name === 'web')?.status?.podIP;
  if (ctx.containers.actual === 'real' && web) console.log(`demo: the web pod is busybox httpd — try: curl http://${web}:8080/`);
  console.log(`demo: all ${list.length} pods Running — try: npm run mkube -- status --url ${status}`);
  return list;
}
