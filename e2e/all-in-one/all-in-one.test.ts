// The all-in-one process (apps/mikrotik-kube) end to end: the simulator and one mikrotik-kube
// process hosting the registry, ipam, storage-converter, boot-supervisor and vk-provider,
// configured with the Go mikrotik-kube's config.yaml keys, bringing deploy/boot-order.yaml up in boot order.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { startTsProcess, waitFor } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { allInOneComponents, DEMO_PASSWORD, DEMO_USER, podNetwork, pods, showcase, startStack, type Stack } from '@mikrotik-kube/demo-stack';

let stack: Stack;
let router: RouterOsClient;
let status: string;

const startedAt = (p: V1Pod) => new Date(p.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? 0).getTime();

describe('mikrotik-kube all-in-one', () => {
  beforeAll(async () => {
    stack = await startStack(allInOneComponents, { network: podNetwork(21 + ((process.pid + 97) % 200), Math.floor(Math.random() * 250)) });
    router = new RouterOsClient({ url: stack.ctx.urls['rest'] as string, username: DEMO_USER, password: DEMO_PASSWORD });
    status = stack.ctx.urls['status'] as string;
    await showcase(stack.ctx, 150_000);
  }, 300_000);

  afterAll(async () => {
    router?.close();
    await stack?.stop();
  });

  it('one process brings the pods up in dependency order, each after what it depends on', async () => {
    expect(stack.started.map((s) => s.name)).toEqual(['routeros-sim', 'mikrotik-kube']);
    const list = await pods(status);
    expect(list.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(['infra/dns', 'default/db', 'default/web', 'default/worker']);
    const [dns, db, web, worker] = list as [V1Pod, V1Pod, V1Pod, V1Pod];
    expect(startedAt(dns)).toBeGreaterThan(0);
    expect(startedAt(db)).toBeGreaterThan(startedAt(dns));
    expect(startedAt(web)).toBeGreaterThan(startedAt(db));
    expect(startedAt(worker)).toBeGreaterThan(startedAt(web));
    for (const p of list) expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    // The containers are real rows on the router, started, with addresses from network.podCIDR.
    const mine = (await router.containers.list()).filter((c) => c.comment?.startsWith('mikrotik-kube:vk'));
    expect(mine.map((c) => c.state).sort()).toEqual(['running', 'running', 'running', 'running']);
    for (const p of list) expect(p.status?.podIP?.startsWith(stack.ctx.network.cidr.replace(/0\/24$/, ''))).toBe(true);
  });

  it('has one ops port: every service in /metrics, /healthz, /readyz, JSON logs naming the component', async () => {
    const metrics = await (await fetch(`${status}/metrics`)).text();
    for (const name of ['mikrotik_kube_ipam_', 'mikrotik_kube_storage_converter_', 'mikrotik_kube_boot_supervisor_unit_state', 'mikrotik_kube_vk_', 'mikrotik_kube_registry_', 'mikrotik_kube_grpc_server_handled_total', 'process_resident_memory_bytes']) {
      expect(metrics, name).toContain(name);
    }
    expect(metrics).toMatch(/mikrotik_kube_grpc_server_handled_total\{[^}]*grpc_service="mikrotik\.kube\.v1\.Ipam"/);
    expect((await fetch(`${status}/healthz`)).status).toBe(200);
    expect((await fetch(`${status}/readyz`)).status).toBe(200);
    const lines = stack.proc('mikrotik-kube').output().split('\n').filter((l) => l.startsWith('{'));
    const components = new Set(lines.map((l) => (JSON.parse(l) as { component?: string }).component).filter(Boolean));
    for (const c of ['registry', 'ipam', 'storage-converter', 'boot-supervisor', 'vk-provider']) expect(components).toContain(c);
    expect(lines.every((l) => (JSON.parse(l) as { service: string }).service === 'mikrotik-kube')).toBe(true);
  });

  it('refuses bad config at the edge, naming the key as written, and starts nothing', async () => {
    const run = async (doc: unknown) => {
      const file = join(stack.ctx.dataDir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, stringify(doc));
      const p = startTsProcess('apps/mikrotik-kube/src/main.ts', { args: ['--config', file, '--http.port', '0', '--http.host', '127.0.0.1'] });
      const exit = await p.exited;
      return { code: exit.code, out: p.output() };
    };
    const routeros = { restUrl: stack.ctx.urls['rest'], user: DEMO_USER, password: DEMO_PASSWORD };
    const before = (await router.veths.list()).length;
    const badCidr = await run({ routeros, dataDir: join(stack.ctx.dataDir, 'bad'), network: { podCIDR: '172.20.0.1/16' } });
    expect(badCidr.code).toBe(2);
    expect(badCidr.out).toMatch(/network\.podCIDR \(file [^)]+\): must be the network address, did you mean 172\.20\.0\.0\/16\?/);
    const noUrl = await run({ network: { bridgeName: 'containers' } });
    expect(noUrl.code).toBe(2);
    expect(noUrl.out).toContain('routeros.restUrl (missing): is required');
    const wildcard = await run({ routeros, dataDir: join(stack.ctx.dataDir, 'bad'), delivery: { fetch: { host: '0.0.0.0' } } });
    expect(wildcard.code).toBe(2);
    expect(wildcard.out).toMatch(/delivery\.fetch\.publicUrl .*is required when delivery\.fetch\.host is a wildcard/);
    const unknown = await run({ routeros, network: { podCidr: '10.0.0.0/8' } });
    expect(unknown.code).toBe(2);
    expect(unknown.out).toContain('network.podCidr');
    expect((await router.veths.list()).length).toBe(before);
  }, 120_000);

  // What the boot supervisor logged since `from` (an offset in the process output): units by message.
  const supervisorLog = (from: number) => {
    const lines = stack.proc('mikrotik-kube').output().slice(from).split('\n').filter((l) => l.startsWith('{'));
    const entries = lines.map((l) => JSON.parse(l) as { component?: string; message: string; unit?: string }).filter((e) => e.component === 'boot-supervisor');
    return (message: string) => entries.filter((e) => e.message === message).map((e) => e.unit);
  };
  const bootOrder = ['infra/dns', 'default/db', 'default/web', 'default/worker'];
  /** Every pod Running and ready again, started after `since`; the pods by name. */
  const upAgainAfter = async (since: number) =>
    waitFor(async () => {
      const list = await pods(status);
      return list.length === 4 && list.every((p) => p.status?.containerStatuses?.[0]?.ready && startedAt(p) > since) ? list : undefined;
    }, 90_000, 250);
  const expectInOrder = (list: V1Pod[]) => {
    const at = new Map(list.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, startedAt(p)]));
    for (let i = 1; i < bootOrder.length; i++) expect(at.get(bootOrder[i] as string), bootOrder[i]).toBeGreaterThan(at.get(bootOrder[i - 1] as string) as number);
  };
  const rebootRouter = async () => {
    await stack.proc('routeros-sim').stop('SIGTERM', 15_000);
    await stack.restart('routeros-sim');
  };

  it('bootPolicy supervisor: containers are start-on-boot=no; after a router reboot the supervisor starts them in dependency order', async () => {
    const mine = (await router.containers.list()).filter((c) => c.comment?.startsWith('mikrotik-kube:vk'));
    expect(mine.map((c) => c.startOnBoot)).toEqual([false, false, false, false]);
    const from = stack.proc('mikrotik-kube').output().length;
    const since = Date.now();
    await rebootRouter();
    expectInOrder(await upAgainAfter(since));
    const log = supervisorLog(from);
    expect(log('router rebooted; running the boot sequence again')).toHaveLength(1);
    // RouterOS started none of them itself: the supervisor started each, in order; nothing was adopted.
    expect(log('unit started')).toEqual(bootOrder);
    expect(log('unit adopted')).toEqual([]);
  }, 150_000);

  it('when the router boots with mikrotik-kube (start-on-boot=yes itself), its supervisor starts the pods in order from its state file', async () => {
    await stack.proc('mikrotik-kube').stop('SIGTERM', 30_000);
    const since = Date.now();
    await rebootRouter();
    // The router came up with every pod's container stopped, and nobody to start them yet.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await router.containers.list()).filter((c) => c.comment?.startsWith('mikrotik-kube:vk')).map((c) => c.state)).toEqual(['stopped', 'stopped', 'stopped', 'stopped']);
    await stack.restart('mikrotik-kube');
    expectInOrder(await upAgainAfter(since));
    expect(supervisorLog(0)('unit started')).toEqual(bootOrder);
  }, 150_000);

  it('bootPolicy router: the flag is aligned on the running containers and RouterOS starts them itself on boot; the supervisor adopts them', async () => {
    const file = join(stack.ctx.dataDir, 'mikrotik-kube/config.yaml');
    writeFileSync(file, `${readFileSync(file, 'utf8')}bootPolicy: router\n`);
    await stack.proc('mikrotik-kube').stop('SIGTERM', 30_000);
    await stack.restart('mikrotik-kube');
    const ours = async () => (await router.containers.list()).filter((c) => c.comment?.startsWith('mikrotik-kube:vk'));
    // restartPolicy Always pods only; the worker (OnFailure) is left to the supervisor.
    await waitFor(async () => (await ours()).filter((c) => c.startOnBoot).length === 3, 30_000, 200);
    expect((await ours()).filter((c) => !c.startOnBoot).map((c) => c.name)).toEqual(['default_worker_worker']);
    const from = stack.proc('mikrotik-kube').output().length;
    const since = Date.now();
    await rebootRouter();
    await upAgainAfter(since);
    const log = supervisorLog(from);
    expect(log('unit adopted').sort()).toEqual(['default/db', 'default/web', 'infra/dns']);
    expect(log('unit started')).toEqual(['default/worker']);
  }, 150_000);

  it('stops cleanly on SIGTERM', async () => {
    const exit = await stack.proc('mikrotik-kube').stop('SIGTERM', 30_000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stack.proc('mikrotik-kube').output()).toContain('"message":"stopped"');
  }, 60_000);
});
