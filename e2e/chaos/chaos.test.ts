// The chaos suite: the whole system as real processes on loopback — the RouterOS simulator
// (REST + SSH), registry, ipam, storage-converter, boot-supervisor, vk-provider in standalone
// mode and csi-controller on the simulated RDS — under a mixed workload (pods added to and
// removed from the pods file, ipam allocations and releases, CSI volumes created and deleted,
// blobs and images pushed and pulled, some uploads dropped mid-body) while every service is
// killed with SIGKILL in turn and restarted as a supervisor would, and the simulator injects
// REST 500s, connection resets, lost replies, SSH drops and latency. Then the faults stop, the
// clients finish what they left uncertain (as a CO or a registry client retries), the
// reconcilers run, and the router, the RDS and the registry's storage are read back:
// 0 duplicate IPs, 0 veths without a live owner, 0 lost or duplicated volumes, 0 blobs whose
// content does not match their digest, 0 stuck upload sessions, every service ready again.
// Randomness is seeded (CHAOS_SEED); every loop is bounded; waits are on conditions.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { createClient, unary } from '@mikrotik-kube/grpc-kit';
import { contracts } from '@mikrotik-kube/proto';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { waitFor } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEMO_PASSWORD, DEMO_USER, demoComponents, podNetwork, pods, startStack, type DemoComponent, type DemoContext, type Stack } from '@mikrotik-kube/demo-stack';

const SEED = Number(process.env['CHAOS_SEED'] ?? 22);
const VOLUME_BASE = '/storage-pool/metal-csi';
const REPO = 'chaos/blobs';
const IMAGE = 'registry.local:5000/demo/app:1';
type Work = 'pods' | 'ipam' | 'csi' | 'registry';
/**
 * The services killed in turn, each while a call of the workload it serves is in flight, and
 * the simulator faults that run meanwhile. Two passes; the second gives each kill another
 * round's faults.
 */
const ROUNDS: Array<{ kill: string; during: Work; faults: Record<string, number> }> = [
  { kill: 'registry', during: 'registry', faults: { latencyMs: 20, errorRate: 0.05 } },
  { kill: 'ipam', during: 'ipam', faults: { errorRate: 0.05, resetRate: 0.03 } },
  { kill: 'storage-converter', during: 'pods', faults: { sshDropRate: 0.3, dropNextReplies: 3, latencyMs: 10 } },
  { kill: 'boot-supervisor', during: 'pods', faults: { errorRate: 0.05, dropNextReplies: 3 } },
  { kill: 'vk-provider', during: 'pods', faults: { resetRate: 0.05, sshDropRate: 0.3 } },
  { kill: 'csi-controller', during: 'csi', faults: { sshDropRate: 0.3, latencyMs: 30, errorRate: 0.03 } },
];
const PASSES = 2;
const NO_FAULTS = { latencyMs: 0, errorRate: 0, resetRate: 0, dropNextReplies: 0, sshDropRate: 0 };
const SERVICES = ['registry', 'ipam', 'storage-converter', 'boot-supervisor', 'vk-provider', 'csi-controller'];

/** mulberry32: a small seeded generator, so a failing run can be replayed with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = random(SEED);
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256)));
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
/** A client's pause after a failed call (a retry backoff, not a wait for some state). */
const backoff = () => new Promise((r) => setTimeout(r, 150));

const tokenFile = (ctx: DemoContext) => {
  const path = join(ctx.dataDir, 'grpc-token');
  writeFileSync(path, 'chaos-suite-shared-token\n', { mode: 0o600 });
  return path;
};
/** A demo component with extra flags (flags win over its config file). */
const tuned = (name: string, extra: (ctx: DemoContext) => string[]): DemoComponent => {
  const c = demoComponents.find((x) => x.name === name) as DemoComponent;
  return { ...c, args: (ctx) => [...c.args(ctx), ...extra(ctx)] };
};
const sim = demoComponents[0] as DemoComponent;
const components: DemoComponent[] = [
  {
    ...sim,
    ports: [...sim.ports, 'ssh'],
    args: (ctx) => [...sim.args(ctx), '--ssh-port', String(ctx.ports['routeros-sim.ssh'])],
    async onReady(ctx, line) {
      await sim.onReady?.(ctx, line);
      ctx.urls['sshHostKey'] = /ssh-host-key=(SHA256:\S+)/.exec(line)?.[1] ?? '';
    },
  },
  tuned('registry', () => []),
  // Short grace and repair intervals so the reconcilers finish within the test.
  tuned('ipam', (ctx) => ['--reconcile.grace-seconds', '4', '--reconcile.repair-interval-seconds', '2', '--grpc.token-file', tokenFile(ctx)]),
  tuned('storage-converter', (ctx) => ['--grpc.token-file', tokenFile(ctx)]),
  tuned('boot-supervisor', (ctx) => ['--grpc.token-file', tokenFile(ctx)]),
  tuned('vk-provider', (ctx) => ['--reconcile.resync-seconds', '2', '--grpc.token-file', tokenFile(ctx)]),
  {
    name: 'csi-controller',
    entry: 'apps/csi-controller/src/main.ts',
    ports: ['http'],
    args: (ctx) => [
      '--csi.endpoint', `unix://${join(ctx.dataDir, 'csi.sock')}`,
      '--rds.address', '127.0.0.1',
      '--rds.port', String(ctx.ports['routeros-sim.ssh']),
      '--rds.user', DEMO_USER,
      '--rds.password', DEMO_PASSWORD,
      '--rds.host-key', ctx.urls['sshHostKey'] as string,
      '--http.host', '127.0.0.1',
      '--http.port', String(ctx.ports['csi-controller.http']),
    ],
    ready: /csi-controller ready/,
  },
];

const podDoc = (name: string): V1Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'chaos' },
  spec: { restartPolicy: 'Always', containers: [{ name: 'app', image: IMAGE, args: ['--pod', name] }] },
});

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One HTTP request; `abortAfter` bytes of the body are sent and then the connection is dropped. */
function http(url: string, method: string, body?: Buffer, headers: Record<string, string> = {}, abortAfter?: number): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) }, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    if (body && abortAfter !== undefined) {
      req.write(body.subarray(0, abortAfter), () => setImmediate(() => req.destroy(new Error('dropped by the test'))));
      return;
    }
    req.end(body);
  });
}

describe('chaos: every service killed in turn under simulator faults and a mixed workload', () => {
  let stack: Stack;
  let router: RouterOsClient;
  let ipam: InstanceType<ReturnType<typeof contracts.ipam>['Ipam']>;
  let csi: InstanceType<ReturnType<typeof contracts.csi>['Controller']>;
  let registry = '';
  let emptyPods = '';
  let started = 0;

  beforeAll(async () => {
    started = Date.now();
    const net = podNetwork(21 + (process.pid % 200), 100 + (SEED % 100));
    // vk-provider starts on a copy of this (empty) file; the workload then writes that copy.
    emptyPods = join(tmpdir(), `chaos-pods-${process.pid}.yaml`);
    writeFileSync(emptyPods, '');
    stack = await startStack(components, { network: net, podsFile: emptyPods });
    router = new RouterOsClient({ url: stack.ctx.urls['rest'] as string, username: DEMO_USER, password: DEMO_PASSWORD, timeoutMs: 10_000 });
    ipam = createClient(contracts.ipam().Ipam, `127.0.0.1:${stack.ctx.ports['ipam.grpc']}`, { maxAttempts: 1, deadlineMs: 10_000, tokenFile: join(stack.ctx.dataDir, 'grpc-token') });
    csi = createClient(contracts.csi().Controller, `unix://${join(stack.ctx.dataDir, 'csi.sock')}`, { maxAttempts: 1, deadlineMs: 15_000 });
    registry = stack.ctx.urls['registry'] as string;
  }, 180_000);

  afterAll(async () => {
    ipam?.close();
    csi?.close();
    router?.close();
    await stack?.stop();
    rmSync(emptyPods, { force: true });
  });

  it('loses, duplicates, corrupts and wedges nothing, and every service is ready again', async () => {
    const ctx = stack.ctx;
    const faults = async (patch: Record<string, number>) => {
      const res = await fetch(`${ctx.urls['simAdmin']}/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
      if (!res.ok) throw new Error(`sim faults: ${res.status} ${await res.text()}`);
    };
    let ops = 0;
    let failures = 0;
    const inFlight: Record<Work, number> = { pods: 0, ipam: 0, csi: 0, registry: 0 };
    const track = async <T>(work: Work, call: () => Promise<T>): Promise<T> => {
      inFlight[work]++;
      try {
        return await call();
      } finally {
        inFlight[work]--;
      }
    };
    let stop = false;
    const tick = (ok: boolean) => {
      ops++;
      if (!ok) failures++;
      return ok;
    };
    const podsFile = ctx.urls['podsFile'] as string;

    // Pods: the pods file is the desired state; vk-provider follows it.
    const podSet: string[] = [];
    let podSeq = 0;
    const podWorker = async () => {
      for (let i = 0; i < 1000 && !stop; i++) {
        if (podSet.length < 3 || (podSet.length < 6 && rnd() < 0.6)) podSet.push(`p${podSeq++}`);
        else podSet.splice(podSet.indexOf(pick(podSet)), 1);
        writeFileSync(podsFile, podSet.map((n) => stringify(podDoc(n))).join('---\n'));
        const want = [...podSet].sort().join();
        const seen = await track('pods', () => waitFor(async () => (await pods(ctx.urls['status'] as string)).map((p) => p.metadata?.name).sort().join() === want, 8_000, 200)).then(
          () => true,
          () => false,
        );
        tick(seen);
      }
    };

    // ipam: a client of its own allocating and releasing; everything it asked for is released at the end.
    const allocOwners = new Set<string>();
    const held: string[] = [];
    let allocSeq = 0;
    const ipamWorker = async () => {
      for (let i = 0; i < 5000 && !stop; i++) {
        const ok =
          held.length < 2 || rnd() < 0.5
            ? await (async () => {
                const owner = `chaos/direct-${allocSeq++}`;
                allocOwners.add(owner);
                await track('ipam', () => unary(ipam, 'Allocate', { owner, network: '' }));
                held.push(owner);
              })().then(() => true, () => false)
            : await track('ipam', () => unary(ipam, 'Release', { owner: held.splice(0, 1)[0] as string })).then(() => true, () => false);
        if (!tick(ok)) await backoff();
      }
    };

    // CSI: a CO's view. A call that failed is retried until it gives an answer, as the
    // external-provisioner does; volumes it was told exist must exist exactly once.
    const volumes = new Map<string, 'live' | 'gone'>();
    const uncertain = new Map<string, 'create' | 'delete'>();
    let volSeq = 0;
    const volumeOp = async (name: string, op: 'create' | 'delete'): Promise<boolean> => {
      try {
        if (op === 'create') {
          await track('csi', () => unary(csi, 'CreateVolume', {
            name,
            capacity_range: { required_bytes: 2 ** 30 },
            volume_capabilities: [{ mount: { fs_type: 'ext4', mount_flags: [] }, access_mode: { mode: 'SINGLE_NODE_WRITER' } }],
            parameters: { volumePath: VOLUME_BASE, nvmeAddress: '127.0.0.1' },
          }));
        } else await track('csi', () => unary(csi, 'DeleteVolume', { volume_id: name }));
        uncertain.delete(name);
        volumes.set(name, op === 'create' ? 'live' : 'gone');
        return true;
      } catch {
        uncertain.set(name, op);
        return false;
      }
    };
    const csiWorker = async () => {
      for (let i = 0; i < 5000 && !stop; i++) {
        const retry = [...uncertain.entries()][0];
        const live = [...volumes.entries()].filter(([, s]) => s === 'live').map(([n]) => n);
        const ok = retry
          ? await volumeOp(...retry)
          : live.length < 3 || rnd() < 0.55
            ? await volumeOp(`pvc-chaos-${volSeq++}`, 'create')
            : await volumeOp(pick(live), 'delete');
        if (!tick(ok)) await backoff();
      }
    };

    // Registry: blobs pushed whole or in chunks, some uploads dropped mid-body and left for
    // later; what was pushed is pulled back and compared.
    const pushed = new Map<string, Buffer>();
    const open: Array<{ location: string; content: Buffer }> = [];
    const url = (location: string) => new URL(location, registry).toString();
    const withDigest = (location: string, digest: string) => `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`;
    const regWorker = async () => {
      for (let i = 0; i < 5000 && !stop; i++) {
        const content = bytes(4096 + Math.floor(rnd() * 28_000));
        const digest = sha256(content);
        const mode = pick(['whole', 'chunks', 'drop'] as const);
        let location: string | undefined;
        const ok = await track('registry', async () => {
          const start = await http(`${registry}/v2/${REPO}/blobs/uploads/`, 'POST');
          if (start.status !== 202) throw new Error(`POST ${start.status}`);
          location = url(String(start.headers['location']));
          const cut = Math.floor(content.length / 2);
          if (mode === 'whole') {
            const put = await http(withDigest(location, digest), 'PUT', content, { 'content-type': 'application/octet-stream' });
            if (put.status !== 201) throw new Error(`PUT ${put.status}`);
          } else {
            const first = await http(location, 'PATCH', content.subarray(0, cut), { 'content-type': 'application/octet-stream', 'content-range': `0-${cut - 1}` });
            if (first.status !== 202) throw new Error(`PATCH ${first.status}`);
            if (mode === 'drop') {
              // The rest of the blob starts and the client vanishes halfway through it.
              await http(location, 'PATCH', content.subarray(cut), { 'content-type': 'application/octet-stream', 'content-range': `${cut}-${content.length - 1}` }, 100).catch(() => undefined);
              open.push({ location, content });
              location = undefined;
              return true;
            }
            const second = await http(location, 'PATCH', content.subarray(cut), { 'content-type': 'application/octet-stream', 'content-range': `${cut}-${content.length - 1}` });
            if (second.status !== 202) throw new Error(`PATCH ${second.status}`);
            const put = await http(withDigest(location, digest), 'PUT');
            if (put.status !== 201) throw new Error(`PUT ${put.status}`);
          }
          pushed.set(digest, content);
          const pull = await http(`${registry}/v2/${REPO}/blobs/${digest}`, 'GET');
          if (pull.status !== 200 || sha256(pull.body) !== digest) throw new Error(`pull ${pull.status}`);
          return true;
        }).catch(() => {
          if (location) open.push({ location, content });
          return false;
        });
        if (!tick(ok)) await backoff();
      }
    };

    const routerVeths = async () => {
      const veths = await router.veths.list();
      const ports = await router.bridgePorts.list();
      return { veths, ports };
    };
    let transientDupIps = 0;
    const sampleDupIps = async () => {
      const { veths } = await routerVeths().catch(() => ({ veths: [] as Array<{ addresses: string[] }> }));
      const addrs = veths.flatMap((v) => v.addresses);
      transientDupIps = Math.max(transientDupIps, addrs.length - new Set(addrs).size);
    };

    // The chaos: each service in turn is killed while the workload runs, then restarted as a
    // supervisor would, again if it exits before it is ready.
    const crashLoops: Record<string, number> = {};
    const restart = async (name: string) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await stack.restart(name);
          return;
        } catch (e) {
          crashLoops[name] = attempt;
          if (attempt >= 5) throw e;
        }
      }
    };
    const progress = (n: number, what: string) => {
      const target = ops + n;
      return waitFor(() => ops >= target, 30_000, 50).catch(() => {
        throw new Error(`workload made no progress ${what} (${ops} ops, ${failures} failed)`);
      });
    };
    const workers = Promise.all([podWorker(), ipamWorker(), csiWorker(), regWorker()]);
    const timeline: string[] = [];
    try {
      await progress(8, 'before the chaos');
      for (let pass = 0; pass < PASSES; pass++) {
        for (const [i, round] of ROUNDS.entries()) {
          const patch = (ROUNDS[(i + pass * 3) % ROUNDS.length] as (typeof ROUNDS)[number]).faults;
          await faults({ ...NO_FAULTS, ...patch });
          await progress(4, `under faults ${JSON.stringify(patch)}`);
          await waitFor(() => inFlight[round.during] > 0, 30_000, 5).catch(() => {
            throw new Error(`no ${round.during} call in flight to kill ${round.kill} under`);
          });
          const t = Date.now();
          await stack.proc(round.kill).stop('SIGKILL');
          await progress(3, `with ${round.kill} killed`);
          await restart(round.kill);
          timeline.push(`${round.kill} ${Date.now() - t}ms`);
          await sampleDupIps();
        }
      }
      await progress(4, 'after the chaos');
    } finally {
      stop = true;
      await faults(NO_FAULTS).catch(() => undefined);
      await workers;
    }
    const chaosDone = Date.now();

    // Clients finish what the chaos left uncertain.
    await waitFor(async () => {
      for (const [name, op] of [...uncertain.entries()]) await volumeOp(name, op);
      return uncertain.size === 0;
    }, 60_000, 200);
    await waitFor(async () => {
      for (const owner of [...allocOwners]) {
        await unary(ipam, 'Release', { owner });
        allocOwners.delete(owner);
      }
      return allocOwners.size === 0;
    }, 30_000, 200);
    let stuckSessions = 0;
    let resumedSessions = 0;
    let restartedSessions = 0;
    for (const s of open) {
      const done = await waitFor(async () => {
        const st = await http(s.location, 'GET');
        if (st.status === 404) {
          // The registry forgot the session (its commit had finished): a client pushes again.
          const again = await http(`${registry}/v2/${REPO}/blobs/uploads/?digest=${sha256(s.content)}`, 'POST', s.content, { 'content-type': 'application/octet-stream' });
          if (again.status !== 201) throw new Error(`push again: ${again.status} ${again.body.toString()}`);
          pushed.set(sha256(s.content), s.content);
          return 'restarted';
        }
        if (st.status !== 204) throw new Error(`upload status ${st.status}: ${st.body.toString()}`);
        // `Range: 0-<last byte>`, and `0-0` for both 0 and 1 byte (as distribution answers).
        const end = Number(/^0-(\d+)$/.exec(String(st.headers['range']))?.[1] ?? -1);
        const have = end + 1;
        if (end === 0) {
          const probe = await http(s.location, 'PATCH', s.content.subarray(0, 1), { 'content-type': 'application/octet-stream', 'content-range': '0-0' });
          if (probe.status !== 202 && probe.status !== 416) throw new Error(`resume at 0: ${probe.status} ${probe.body.toString()}`);
        }
        if (have < s.content.length) {
          const rest = await http(s.location, 'PATCH', s.content.subarray(have), { 'content-type': 'application/octet-stream', 'content-range': `${have}-${s.content.length - 1}` });
          if (rest.status !== 202) throw new Error(`resume at ${have}: ${rest.status} ${rest.body.toString()}`);
        }
        const digest = sha256(s.content);
        const put = await http(withDigest(s.location, digest), 'PUT');
        if (put.status !== 201) throw new Error(`close: ${put.status} ${put.body.toString()}`);
        pushed.set(digest, s.content);
        return 'resumed';
      }, 10_000, 200).catch((e: unknown) => {
        const id = s.location.split('/').pop() as string;
        const logs = stack.proc('registry').output().split('\n').filter((l) => l.includes(id) || l.includes('"level":"error"'));
        console.error(`[chaos] stuck upload ${s.location}: ${(e as Error).message}\n${logs.slice(-10).join('\n')}`);
        return 'stuck';
      });
      if (done === 'stuck') stuckSessions++;
      if (done === 'resumed') resumedSessions++;
      if (done === 'restarted') restartedSessions++;
    }

    // The reconcilers run: the pods file's pods come up, and ipam's view matches them.
    const status = ctx.urls['status'] as string;
    const want = podSet.map((n) => `chaos/${n}`).sort();
    const running = await waitFor(async () => {
      const list = await pods(status);
      const names = list.map((p) => `${p.metadata?.namespace}/${p.metadata?.name}`).sort();
      return names.join() === want.join() && list.every((p) => p.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.ready)) ? list : undefined;
    }, 60_000, 250);
    const owners = (v: { comment?: string }) => decodeURIComponent(/owner=(\S+)/.exec(v.comment ?? '')?.[1] ?? '');
    const converged = await waitFor(async () => {
      const view = await routerVeths();
      return view.veths.map(owners).sort().join() === want.join() ? view : undefined;
    }, 45_000, 250).catch(() => routerVeths());

    // Readback.
    const podIps = running.map((p) => p.status?.podIP ?? '');
    const addrs = converged.veths.flatMap((v) => v.addresses);
    const duplicateIps = addrs.length - new Set(addrs).size + (podIps.length - new Set(podIps).size);
    const portsOf = new Map<string, number>();
    for (const p of converged.ports) portsOf.set(p.interface, (portsOf.get(p.interface) ?? 0) + 1);
    const ownerless = converged.veths.filter((v) => !want.includes(owners(v))).map((v) => `${v.name} (${v.comment ?? 'no tag'})`);
    const halfMade = converged.veths.filter((v) => portsOf.get(v.name) !== 1).map((v) => v.name);
    const podsWithoutVeth = podIps.filter((ip) => !converged.veths.some((v) => v.addresses.some((a) => a.startsWith(`${ip}/`))));

    const disks = (await router.disks.list()).filter((d) => d.slot.startsWith('pvc-chaos-'));
    const files = (await router.files.list()).flatMap((f) => /(?:^|\/)storage-pool\/metal-csi\/(pvc-chaos-\d+)\.img$/.exec(f.name)?.slice(1, 2) ?? []);
    const liveVolumes = [...volumes.entries()].filter(([, s]) => s === 'live').map(([n]) => n).sort();
    const slots = disks.map((d) => d.slot);
    const lostVolumes = liveVolumes.filter((n) => !slots.includes(n) || !files.includes(n));
    const duplicatedVolumes = slots.length - new Set(slots).size;
    const leakedVolumes = [...new Set([...slots, ...files])].filter((n) => !liveVolumes.includes(n));

    const blobsRoot = join(ctx.dataDir, 'registry', 'blobs', 'sha256');
    const stored = readdirSync(blobsRoot).flatMap((d) => readdirSync(join(blobsRoot, d)).map((h) => ({ digest: `sha256:${h}`, path: join(blobsRoot, d, h) })));
    const corruptBlobs = stored.filter((b) => sha256(readFileSync(b.path)) !== b.digest).map((b) => b.digest);
    let unpullable = 0;
    for (const [digest] of pushed) {
      const pull = await http(`${registry}/v2/${REPO}/blobs/${digest}`, 'GET');
      if (pull.status !== 200 || sha256(pull.body) !== digest) unpullable++;
    }
    const leftoverUploads = readdirSync(join(ctx.dataDir, 'registry', 'uploads')).length;

    const notReady: string[] = [];
    for (const name of SERVICES) {
      const ok = await waitFor(async () => (await fetch(`http://127.0.0.1:${ctx.ports[`${name}.http`]}/readyz`)).status === 200, 30_000, 200).then(() => true, () => false);
      if (!ok) notReady.push(name);
    }

    const counts = {
      seed: SEED,
      ops,
      failedOps: failures,
      pods: running.length,
      podsCreated: podSeq,
      allocations: allocSeq,
      volumesCreated: volSeq,
      volumesLive: liveVolumes.length,
      blobsPushed: pushed.size,
      uploadsDropped: open.length,
      uploadsResumed: resumedSessions,
      uploadsRestarted: restartedSessions,
      duplicateIps,
      transientDupIps,
      vethsWithoutOwner: ownerless.length,
      vethsWithoutBridgePort: halfMade.length,
      podsWithoutVeth: podsWithoutVeth.length,
      lostVolumes: lostVolumes.length,
      duplicatedVolumes,
      leakedVolumes: leakedVolumes.length,
      corruptBlobs: corruptBlobs.length,
      unpullableBlobs: unpullable,
      stuckUploadSessions: stuckSessions,
      leftoverUploadDirs: leftoverUploads,
      notReady: notReady.length,
      crashLoops,
      timeline,
      chaosSeconds: Math.round((chaosDone - started) / 1000),
      totalSeconds: Math.round((Date.now() - started) / 1000),
    };
    console.log(`[chaos] ${JSON.stringify(counts)}`);

    expect({ duplicateIps, transientDupIps, ownerless, halfMade, podsWithoutVeth }).toEqual({ duplicateIps: 0, transientDupIps: 0, ownerless: [], halfMade: [], podsWithoutVeth: [] });
    expect({ lostVolumes, duplicatedVolumes, leakedVolumes }).toEqual({ lostVolumes: [], duplicatedVolumes: 0, leakedVolumes: [] });
    expect({ corruptBlobs, unpullable, stuckSessions }).toEqual({ corruptBlobs: [], unpullable: 0, stuckSessions: 0 });
    expect(notReady).toEqual([]);
  }, 240_000);
});
