// vk-provider in standalone mode, end to end: the demo's system (simulator,
// registry, ipam, storage-converter, boot-supervisor, vk-provider) as real
// processes on deploy/boot-order.yaml, checked through the status API and the
// router's own REST view.
import { readFileSync, writeFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { waitFor } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
// The same system `make demo` starts.
import { DEMO_PASSWORD, DEMO_USER, demoComponents, podNetwork, pods, showcase, startStack, type Stack } from '@mikrotik-kube/demo-stack';

let stack: Stack;
let router: RouterOsClient;
let status: string;
const FOREIGN = 'someone-elses';

const byName = (list: V1Pod[], name: string) => {
  const p = list.find((x) => x.metadata?.name === name);
  if (!p) throw new Error(`pod ${name} not in status`);
  return p;
};
const startedAt = (p: V1Pod) => new Date(p.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? 0).getTime();

async function simAdmin(path: string, body: unknown): Promise<void> {
  const res = await fetch(`${stack.ctx.urls['simAdmin']}/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`sim admin ${path}: ${res.status} ${await res.text()}`);
}

describe('vk-provider standalone', () => {
  beforeAll(async () => {
    // A pod network of its own: the demo (and its test) may run at the same time on 127.20.0.0/24.
    const net = podNetwork(21 + (process.pid % 200), Math.floor(Math.random() * 250));
    stack = await startStack(demoComponents, { network: net });
    router = new RouterOsClient({ url: stack.ctx.urls['rest'] as string, username: DEMO_USER, password: DEMO_PASSWORD });
    status = stack.ctx.urls['status'] as string;
    // A container we did not make: vk-provider must never touch it.
    await router.veths.add({ name: 'veth-foreign', addresses: ['127.10.0.2/24'], gateway: '127.10.0.1' });
    await router.containers.add({ name: FOREIGN, interfaces: ['veth-foreign'], file: 'disk1/mk-images/none.tar', rootDir: 'disk1/foreign' });
    await showcase(stack.ctx, 150_000);
  }, 300_000);

  afterAll(async () => {
    router?.close();
    await stack?.stop();
  });

  it('starts pods in dependency order, each after what it depends on', async () => {
    const list = await pods(status);
    expect(list.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`)).toEqual(['infra/dns', 'default/db', 'default/web', 'default/worker']);
    const [dns, db, web, worker] = ['dns', 'db', 'web', 'worker'].map((n) => byName(list, n)) as [V1Pod, V1Pod, V1Pod, V1Pod];
    expect(startedAt(dns)).toBeGreaterThan(0);
    expect(startedAt(db)).toBeGreaterThan(startedAt(dns));
    expect(startedAt(web)).toBeGreaterThan(startedAt(db));
    // worker depends on web, whose readiness is a real HTTP probe of its 127.x address.
    expect(startedAt(worker)).toBeGreaterThan(startedAt(web));
    for (const p of list) expect(p.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('gives every pod its own address, on the router as a veth of the pod network', async () => {
    const list = await pods(status);
    const ips = list.map((p) => p.status?.podIP ?? '');
    expect(new Set(ips).size).toBe(list.length);
    const veths = await router.veths.list();
    for (const ip of ips) {
      expect(ip.startsWith(stack.ctx.network.cidr.replace(/0\/24$/, ''))).toBe(true);
      expect(veths.filter((v) => v.addresses.includes(`${ip}/24`))).toHaveLength(1);
    }
  });

  it('translates the spec: env expansion, command/args, user, workdir, mounts, memory limit, tags', async () => {
    const db = await router.containers.get('default_db_db');
    expect(db.entrypoint).toBe('/app');
    expect(db.cmd).toBe("--data /var/lib/db --name 'demo db'");
    expect(db.user).toBe('999:999');
    expect(db.workdir).toBe('/var/lib/db');
    expect(db.hostname).toBe('db');
    expect(db.logging).toBe(true);
    expect(db.startOnBoot).toBe(false); // bootPolicy supervisor: the supervisor starts it after a reboot
    expect(db.comment).toMatch(/^mikrotik-kube:vk pod=default\/db container=db hash=[0-9a-f]{16}$/);
    // Inline on the container (7.21+, values that need no escaping), else in its env list.
    const list = await router.containers.envs.list('default_db_db');
    expect(Object.fromEntries([...db.env, ...list.map((e) => [e.key, e.value])])).toEqual({ DATA_DIR: '/var/lib/db', DB_URL: 'file:///var/lib/db/main.db' });
    const mounts = await router.containers.mounts.list();
    expect(mounts.filter((m) => db.mountLists.includes(m.list)).map((m) => m.dst)).toEqual(['/var/lib/db']);
    const web = await router.containers.get('default_web_web');
    expect(web.raw['memory-high']).toBe(String(64 * 1024 * 1024));
    const worker = await router.containers.get('default_worker_worker');
    expect(worker.startOnBoot).toBe(false);
  });

  it('restarts a crashed container with backoff visible in the status', async () => {
    await simAdmin('containers/default_worker_worker/crash', { exitCode: 1 });
    const backoff = await waitFor(async () => {
      const w = byName(await pods(status), 'worker');
      return w.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' ? w : undefined;
    }, 20_000, 50);
    expect(backoff.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/back-off \d+s restarting failed container/);
    const back = await waitFor(async () => {
      const w = byName(await pods(status), 'worker');
      const c = w.status?.containerStatuses?.[0];
      return c?.state?.running && c.ready && (c.restartCount ?? 0) >= 1 ? w : undefined;
    }, 30_000, 100);
    expect(back.status?.phase).toBe('Running');
    expect(back.status?.containerStatuses?.[0]?.restartCount).toBe(1);
  });

  it('survives its own restart: state comes back from the router, nothing is recreated', async () => {
    const before = (await router.containers.list()).map((c) => `${c.name}=${c.id}`).sort();
    await stack.proc('vk-provider').stop('SIGKILL');
    await stack.restart('vk-provider');
    const list = await waitFor(async () => {
      const l = await pods(status);
      return l.length === 4 && l.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready)) ? l : undefined;
    }, 30_000, 200);
    expect(list).toHaveLength(4);
    expect((await router.containers.list()).map((c) => `${c.name}=${c.id}`).sort()).toEqual(before);
  });

  it('removing a pod from the file removes its container, env, veth and volume entries — and nothing of others', async () => {
    const file = stack.ctx.urls['podsFile'] as string;
    const web = byName(await pods(status), 'web');
    const ip = web.status?.podIP as string;
    const webMounts = async () => (await router.containers.mounts.list()).filter((m) => m.comment?.includes('pod=web;'));
    const webFiles = async () => (await router.files.list()).filter((f) => f.name.startsWith('disk1/mk-volumes/default/web/'));
    expect(await webMounts()).toHaveLength(1);
    expect((await webFiles()).length).toBeGreaterThan(0);
    const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as V1Pod);
    const kept = docs.filter((d) => d.metadata?.name !== 'web');
    writeFileSync(file, kept.map((d) => stringify(d)).join('---\n'));

    await waitFor(async () => !(await router.containers.find('default_web_web')), 30_000, 200);
    await waitFor(async () => (await pods(status)).every((p) => p.metadata?.name !== 'web'), 10_000, 100);
    await waitFor(async () => (await router.veths.list()).every((v) => !v.addresses.includes(`${ip}/24`)), 10_000, 100);
    expect((await router.containers.envs.list()).filter((e) => e.comment?.includes('pod=default/web '))).toEqual([]);
    expect(await webMounts()).toEqual([]);
    expect(await webFiles()).toEqual([]);

    // Others untouched, the foreign container included.
    expect(await router.containers.find(FOREIGN)).toBeDefined();
    expect(await router.veths.find('veth-foreign')).toBeDefined();
    const rest = await pods(status);
    expect(rest.map((p) => p.metadata?.name)).toEqual(['dns', 'db', 'worker']);
    for (const p of rest) expect(p.status?.phase).toBe('Running');
  });

  it('keeps running pods when the file becomes invalid YAML, and reports it', async () => {
    const file = stack.ctx.urls['podsFile'] as string;
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, `${good}\n---\nmetadata: {name: [broken\n`);
    await waitFor(async () => {
      const r = (await (await fetch(`${status}/api/v1/podfile`)).json()) as { error?: string };
      return r.error ? r : undefined;
    }, 10_000, 100);
    expect((await router.containers.list()).filter((c) => c.comment?.startsWith('mikrotik-kube:vk'))).toHaveLength(3);
    expect((await pods(status)).every((p) => p.status?.phase === 'Running')).toBe(true);
    writeFileSync(file, good);
  });
});
