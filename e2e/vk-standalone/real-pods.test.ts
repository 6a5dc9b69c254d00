// Standalone mode with containers that really run: the demo's system with the simulator in
// `--containers real`, an image built here from busybox-static and pushed to our registry,
// pods from a file. What the Pod spec says arrives in the process (read back from the
// router's files); an exit and a liveness probe of a real server that stops answering restart
// by policy; after removal and the simulator's exit nothing of it is left on the host.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { RUN_BASE, busyboxUnavailable, cgroupDirs, realRuntimeUnavailable } from '@mikrotik-kube/routeros-sim';
import { waitFor } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEMO_PASSWORD, DEMO_USER, demoComponents, pods, routedPodNetwork, startStack, type Stack } from '@mikrotik-kube/demo-stack';
import { PROBE_IMAGE, probeImage, readReport, reportFile, routerPath } from '../support/probe-image';

const skip = busyboxUnavailable() ?? realRuntimeUnavailable();
if (skip) console.warn(`[vk-standalone real pods] SKIPPED: ${skip}`);

const pod = (name: string, restartPolicy: string, container: Record<string, unknown>, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { restartPolicy, ...spec, containers: [{ name, image: PROBE_IMAGE, ...container }] },
});

const REPORT_POD = pod(
  'report',
  'Always',
  {
    command: ['/report.sh'],
    args: ['one arg', '$(GREETING)', '--flag=x y'],
    env: [
      { name: 'GREETING', value: 'hello world' },
      { name: 'DERIVED', value: '$(GREETING)!' },
    ],
    workingDir: '/work/dir',
    // Root: the router makes volume directories root-owned, so only root may write to one.
    securityContext: { runAsUser: 0, runAsGroup: 50 },
    volumeMounts: [{ name: 'out', mountPath: '/data' }],
  },
  { hostname: 'report-host', volumes: [{ name: 'out', emptyDir: {} }] },
);
const CRASH_POD = pod('crash', 'OnFailure', { command: ['/bin/sh', '-c', 'echo crashing; exit 3'] });
const ONCE_POD = pod('once', 'Never', { command: ['/bin/sh', '-c', 'exit 4'] });
const probe = (extra: object) => ({ httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 1, ...extra });
const WEB_POD = pod('web', 'Always', {
  command: ['/web.sh'],
  ports: [{ name: 'http', containerPort: 8080 }],
  readinessProbe: probe({}),
  livenessProbe: probe({ failureThreshold: 2 }),
});

// stderr is captured, not printed: `ip link` warns about every veth whose peer is in a namespace it cannot name.
const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const byName = (list: V1Pod[], name: string) => list.find((p) => p.metadata?.name === name);
const status0 = (p: V1Pod | undefined) => p?.status?.containerStatuses?.[0];
/** A process as `pid:start-time` (field 22 of /proc/<pid>/stat), so a reused pid is not mistaken for it. */
const processId = (pid: string) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
};
/** The processes in cgroup directories (the simulator's container cgroups). */
const processesIn = (dirs: string[]) => {
  const pids = new Set(dirs.flatMap((d) => (existsSync(join(d, 'cgroup.procs')) ? readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean) : [])));
  return [...pids].map(processId).filter((p) => p !== undefined);
};
const alive = (procs: string[]) => procs.filter((p) => processId(p.split(':')[0] as string) === p);

describe.skipIf(!!skip)(`vk-provider standalone, real containers${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let stack: Stack;
  let router: RouterOsClient;
  let statusUrl: string;
  let podsFile: string;
  let instance: string;
  let simData: string;
  const routerFile = (path: string) => routerPath(stack, path);
  const get = async (url: string) => {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return `${res.status} ${await res.text()}`;
  };

  beforeAll(async () => {
    const file = join(process.env['TMPDIR'] ?? '/tmp', `real-pods-${process.pid}.yaml`);
    writeFileSync(file, [REPORT_POD, CRASH_POD, ONCE_POD, WEB_POD].map((d) => stringify(d)).join('---\n'));
    try {
      stack = await startStack(demoComponents, {
        containers: 'real',
        network: routedPodNetwork(160 + (process.pid % 20), Math.floor(Math.random() * 250)),
        podsFile: file,
        images: [probeImage()],
      });
    } finally {
      rmSync(file, { force: true });
    }
    router = new RouterOsClient({ url: stack.ctx.urls['rest'] as string, username: DEMO_USER, password: DEMO_PASSWORD });
    statusUrl = stack.ctx.urls['status'] as string;
    podsFile = stack.ctx.urls['podsFile'] as string;
    simData = join(stack.ctx.dataDir, 'router');
    const pid = String(stack.proc('routeros-sim').pid);
    instance = readdirSync(RUN_BASE).find((id) => readFileSync(join(RUN_BASE, id, 'owner'), 'utf8').startsWith(`${pid} `)) as string;
    expect(instance).toMatch(/^[0-9a-f]{6}$/);
  }, 180_000);

  afterAll(async () => {
    router?.close();
    await stack?.stop();
  }, 120_000);

  it('the Pod spec arrives in the process: argv, env, cwd, uid/gid and hostname, written to its volume', async () => {
    await waitFor(async () => (await router.containers.find('default_report_report')) ?? undefined, 60_000, 200);
    const file = await reportFile(router, stack, 'default_report_report');
    const report = await waitFor(() => (existsSync(file) ? readReport(file) : undefined), 60_000, 200);
    expect(report.argv).toEqual(['/report.sh', 'one arg', 'hello world', '--flag=x y']);
    expect(report.env).toMatchObject({ GREETING: 'hello world', DERIVED: 'hello world!', PATH: expect.stringMatching(/^\//) });
    expect(report).toMatchObject({ cwd: '/work/dir', uid: '0', gid: '50', hostname: 'report-host' });
    const p = await waitFor(async () => {
      const r = byName(await pods(statusUrl), 'report');
      return status0(r)?.ready ? r : undefined;
    }, 30_000, 200);
    expect(p.status?.phase).toBe('Running');
  }, 120_000);

  it('a non-zero exit shows as RouterOS shows it, and boot-supervisor restarts by policy (OnFailure: again, Never: not)', async () => {
    const exits = async () => (await router.logs.list()).filter((l) => l.message === 'default_crash_crash: *** error: exited with status 3');
    // Two exits: the first run and the one boot-supervisor restarted.
    await waitFor(async () => ((await exits()).length >= 2 ? true : undefined), 60_000, 250);
    expect((await router.logs.list()).filter((l) => l.message === 'crashing').length).toBeGreaterThanOrEqual(2);
    const crash = await waitFor(async () => {
      const s = status0(byName(await pods(statusUrl), 'crash'));
      return (s?.restartCount ?? 0) >= 1 ? s : undefined;
    }, 30_000, 200);
    expect(crash.ready).toBe(false);
    const c = await router.containers.get('default_crash_crash');
    expect(['stopped', 'starting', 'running']).toContain(c.state);
    // restartPolicy Never: one exit, and none after a restart of crash (a backoff at least as long) came since.
    const onceExits = async () => (await router.logs.list()).filter((l) => l.message === 'default_once_once: *** error: exited with status 4');
    const once = await waitFor(async () => {
      const p = byName(await pods(statusUrl), 'once');
      return p?.status?.phase === 'Failed' ? p : undefined;
    }, 30_000, 200);
    expect(await onceExits()).toHaveLength(1);
    const seen = (await exits()).length;
    await waitFor(async () => ((await exits()).length > seen ? true : undefined), 60_000, 250);
    expect(await onceExits()).toHaveLength(1);
    expect(status0(once)).toMatchObject({ restartCount: 0, state: { terminated: { reason: 'Exited' } } });
    expect((await router.containers.get('default_once_once')).state).toBe('stopped');
  }, 120_000);

  it('a liveness probe of a real server that stops answering restarts it', async () => {
    const ready = async (restarts: number) =>
      waitFor(async () => {
        const p = byName(await pods(statusUrl), 'web');
        const s = status0(p);
        return s?.ready && (s.restartCount ?? 0) >= restarts && p?.status?.podIP ? p : undefined;
      }, 60_000, 200);
    const web = await ready(0);
    const url = `http://${web.status?.podIP}:8080/healthz`;
    expect(await get(url)).toBe('200 ok\n');
    expect(status0(web)?.restartCount).toBe(0);

    const c = await router.containers.get('default_web_web');
    rmSync(routerFile(`${c.rootDir}/www/healthz`));
    await waitFor(async () => ((await router.logs.list()).some((l) => l.message === 'web: stopped answering') ? true : undefined), 10_000, 200);
    await expect(get(url)).rejects.toThrow();

    const again = await ready(1);
    expect(status0(again)?.restartCount).toBe(1);
    expect(await get(url)).toBe('200 ok\n');
  }, 120_000);

  it('removing pods and stopping the simulator leave no process, mount, namespace, link or cgroup', async () => {
    const web = await router.containers.get('default_web_web');
    const veth = web.interfaces[0] as string;
    const root = routerFile(web.rootDir);
    const cid = (id: string) => `rs${instance}-${id.slice(1).toLowerCase()}`;
    const webProcs = processesIn(cgroupDirs(instance).filter((d) => d.endsWith(`/${cid(web.id)}`)));
    const allProcs = processesIn(cgroupDirs(instance));
    expect(webProcs.length).toBeGreaterThanOrEqual(2); // its sh and httpd
    expect(allProcs.length).toBeGreaterThan(webProcs.length);
    expect(existsSync(join(root, 'bin/busybox'))).toBe(true);
    writeFileSync(podsFile, [REPORT_POD, CRASH_POD, ONCE_POD].map((d) => stringify(d)).join('---\n'));
    await waitFor(async () => ((await router.containers.find('default_web_web')) ? undefined : true), 60_000, 200);
    await waitFor(async () => ((await router.veths.find(veth)) ? undefined : true), 30_000, 200);
    expect(existsSync(root)).toBe(false);
    expect(alive(webProcs)).toEqual([]);
    const runcIds = sh('runc', ['--root', join(RUN_BASE, instance, 'runc'), 'list', '-q']).split('\n').filter(Boolean);
    expect(runcIds).not.toContain(cid(web.id));
    expect(runcIds).toContain(cid((await router.containers.get('default_report_report')).id));

    await stack.proc('routeros-sim').stop('SIGTERM', 30_000);
    expect(alive(allProcs)).toEqual([]);
    expect(existsSync(join(RUN_BASE, instance))).toBe(false);
    expect(cgroupDirs(instance)).toEqual([]);
    expect(sh('ip', ['netns', 'list'])).not.toContain(`rs${instance}`);
    expect(sh('ip', ['-o', 'link', 'show'])).not.toContain(`rs${instance}`);
    // Network namespaces are bind mounts under /run/netns; the runc state lives under RUN_BASE.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
    for (const m of [simData, `rs${instance}`, join(RUN_BASE, instance)]) expect(mounts).not.toContain(m);
  }, 120_000);
});
