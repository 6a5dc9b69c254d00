// Every ci scenario's rendered services, started for real: for each ci/*-values.yaml, helm
// renders the chart (with the router, the RDS and their credentials pointed at the simulator),
// and each workload's service starts with its rendered config, args, env and mounts (see
// pod-runner.ts), answers /readyz on its rendered port, exports only documented series of ours
// (and Node's process series) on /metrics, and stops cleanly on SIGTERM. A config
// that crashes a service fails here. All of it runs inside a network namespace of our own:
// the simulator, a real control plane (for the services with a service account) and the
// services, so the scenarios' addresses and 0.0.0.0 listeners reach nothing outside it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sshKeyPair } from '@mikrotik-kube/routeros-sim';
import { startProcess, waitFor, type ProcessHandle, repoRoot } from '@mikrotik-kube/test-support';
import { createNetns, requireControlPlane, requireNetns, requireTestPeers, startControlPlane, testenvBin, type ControlPlane, type Netns } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { chartDir, find, template, type K8sObject } from './helm';
import { documentedSeries, PREFIX } from './metrics-doc';
import { dataOf, podSpecOf, runPod } from './pod-runner';

const skip = requireNetns() ?? requireTestPeers('helm', 'kubectl') ?? requireControlPlane();
if (skip) console.warn(`[chart services] SKIPPED: ${skip}`);

const NS = 'mk-system';
const SIM_REST = 18080; // inside our namespace: no other listener to collide with
const SIM_SSH = 12222;
const SIM_PASSWORD = 'chart-test-pw';
const ciFiles = readdirSync(join(chartDir, 'ci')).filter((f) => f.endsWith('-values.yaml')).sort();
const documented = documentedSeries();

describe.skipIf(!!skip)(`every ci scenario: each rendered service starts for real ${skip ? `(skipped: ${skip})` : ''}`, () => {
  let netns: Netns;
  let dir: string;
  let sim: ProcessHandle;
  let cp: ControlPlane;
  let hostKey: string;
  let privateKey: string;
  const kubectl = (args: string[], input?: string) => netns.run(testenvBin('kubectl') as string, args, { env: cp.childEnv(), input });

  beforeAll(async () => {
    netns = createNetns('chartsvc');
    dir = mkdtempSync(join(tmpdir(), 'mk-chart-svc-'));
    const simDir = join(dir, 'sim');
    const w = netns.wrap(process.execPath, ['--import', 'tsx', join(repoRoot, 'libs/routeros-sim/src/cli.ts'), '--rest-port', String(SIM_REST), '--ssh-port', String(SIM_SSH), '--data-dir', simDir, '--user', 'admin', '--password', SIM_PASSWORD, '--arch', 'x86']);
    sim = startProcess(w.command, w.args);
    const ready = await sim.waitForLine(/routeros-sim ready/, 60_000);
    hostKey = /ssh-host-key=(SHA256:\S+)/.exec(ready)?.[1] ?? '';
    expect(hostKey).toMatch(/^SHA256:/);
    // The RDS takes csi-controller's key as a router does: an uploaded file, imported for the user.
    const key = sshKeyPair('chart-test');
    privateKey = key.private;
    mkdirSync(join(simDir, 'files'), { recursive: true });
    writeFileSync(join(simDir, 'files', 'chart-test.pub'), key.public);
    const imp = netns.run('curl', ['-fsS', '-u', `admin:${SIM_PASSWORD}`, '-H', 'content-type: application/json', '-d', '{"public-key-file":"chart-test.pub","user":"admin"}', `http://127.0.0.1:${SIM_REST}/rest/user/ssh-keys/import`]);
    expect(imp.code, imp.stderr).toBe(0);

    cp = await startControlPlane({ netns: netns.name });
    expect(kubectl(['create', 'namespace', NS]).code).toBe(0);
  }, 360_000);

  afterAll(async () => {
    await sim?.stop();
    await cp?.stop();
    netns?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it.each(ciFiles)(
    '%s: every service starts with its rendered config and answers /readyz, then stops cleanly',
    async (ci) => {
      // Where the router and the RDS are, and what they accept: the simulator. Everything else
      // is the scenario's own.
      const target = {
        routeros: { url: `http://127.0.0.1:${SIM_REST}/rest`, username: 'admin', password: SIM_PASSWORD },
        rds: { address: '127.0.0.1', port: SIM_SSH, user: 'admin', sshPrivateKey: privateKey, hostKeys: [hostKey], insecureSkipHostKey: false },
      };
      const objs = template([{ file: join(chartDir, 'ci', ci) }, target]);
      // Secrets the scenario names but expects to exist already (existingSecret).
      const existing: Record<string, Record<string, string>> = {};
      const values = readFileSync(join(chartDir, 'ci', ci), 'utf8');
      const rosSecret = /routeros:\s*\n(?:\s+.*\n)*?\s+existingSecret:\s*(\S+)/.exec(values)?.[1];
      const rdsSecret = /rds:\s*\n(?:\s+.*\n)*?\s+existingSecret:\s*(\S+)/.exec(values)?.[1];
      const rdsKey = /existingSecretKey:\s*(\S+)/.exec(values)?.[1] ?? 'ssh-privatekey';
      if (rosSecret) existing[`Secret/${rosSecret}`] = { username: 'admin', password: SIM_PASSWORD };
      if (rdsSecret) existing[`Secret/${rdsSecret}`] = { [rdsKey]: privateKey };
      // vk-cluster-tls names a serving-certificate Secret it expects to exist.
      const tlsSecret = /tlsSecret:\s*(\S+)/.exec(values)?.[1];
      if (tlsSecret) existing[`Secret/${tlsSecret}`] = servingCert(cp, join(dir, 'tls'));
      const data = dataOf(objs, existing);

      // The chart's service names resolve (to loopback: the one service running at a time).
      netns.setHosts(Object.fromEntries(find(objs, 'Service').map((s) => [`${s.metadata.name}.${NS}.svc`, '127.0.0.1'])));
      // Identities and grants as the chart renders them, in the real API server.
      const rbac = objs.filter((o) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(o.kind));
      const applied = kubectl(['apply', '-n', NS, '-f', '-'], rbac.map((o) => stringify(o)).join('---\n'));
      expect(applied.code, applied.stderr).toBe(0);

      const workloads = [...find(objs, 'Deployment'), ...find(objs, 'DaemonSet')];
      expect(workloads.length).toBeGreaterThan(0);
      try {
        for (const wl of workloads) {
          const podDir = mkdtempSync(join(dir, `${wl.metadata.name}-`));
          const sa = saFiles(wl, podDir);
          const pod = runPod({
            workload: wl,
            data,
            dir: podDir,
            netns,
            downward: { 'status.podIP': '127.0.0.1', 'status.hostIP': '127.0.0.1', 'spec.nodeName': 'node-1', 'metadata.name': `${wl.metadata.name}-0`, 'metadata.namespace': NS },
            kubeletDir: '/var/lib/kubelet',
            ...sa,
          });
          try {
            const port = metricsPort(wl);
            await waitFor(async () => {
              if (pod.proc.child.exitCode !== null) throw new Error(`exited ${pod.proc.child.exitCode}:\n${pod.proc.output().slice(-3000)}`);
              return netns.run('curl', ['-fsS', '--max-time', '2', `http://127.0.0.1:${port}/readyz`]).code === 0;
            }, 90_000, 500).catch((e: unknown) => {
              throw new Error(`${ci}: ${wl.metadata.name} never became ready: ${(e as Error).message}\n${pod.proc.output().slice(-3000)}`);
            });
            // What it exports: our series under the one prefix, each in docs/metrics.md; besides them only Node's process series.
            const scraped = netns.run('curl', ['-fsS', '--max-time', '5', `http://127.0.0.1:${port}/metrics`]);
            expect(scraped.code, scraped.stderr).toBe(0);
            const families = [...scraped.stdout.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
            expect(families.filter((f) => f.startsWith(PREFIX)).length, `${ci}: ${wl.metadata.name}`).toBeGreaterThan(0);
            expect(families.filter((f) => !f.startsWith(PREFIX) && !/^(process|nodejs)_/.test(f)), `${ci}: ${wl.metadata.name}`).toEqual([]);
            expect(families.filter((f) => f.startsWith(PREFIX) && !documented.has(f)), `${ci}: ${wl.metadata.name}: not in docs/metrics.md`).toEqual([]);
          } finally {
            const exit = await pod.proc.stop('SIGTERM', 30_000);
            expect(exit, `${ci}: ${wl.metadata.name} on SIGTERM:\n${pod.proc.output().slice(-2000)}`).toEqual({ code: 0, signal: null });
          }
        }
        // The uninstall hook's Job, as helm runs it at uninstall, with its own RBAC: it finds none of
        // the Deployments and no node (none here), nothing of the release on the router, and says so.
        for (const job of find(objs, 'Job')) {
          const podDir = mkdtempSync(join(dir, `${job.metadata.name}-`));
          const pod = runPod({ workload: job, data, dir: podDir, netns, downward: {}, kubeletDir: '/var/lib/kubelet', ...saFiles(job, podDir) });
          const exit = await Promise.race([pod.proc.exited, new Promise((r) => setTimeout(() => r('still running after 60 s'), 60_000))]);
          expect(exit, `${ci}: ${job.metadata.name}:\n${pod.proc.output().slice(-3000)}`).toEqual({ code: 0, signal: null });
          expect(pod.proc.output()).toContain('nothing of the release is left on the router');
          // A refused API call (RBAC) or router call would be a warning.
          expect(pod.proc.output()).not.toContain('"level":"warn"');
        }
      } finally {
        kubectl(['delete', '-n', NS, '--ignore-not-found', '--wait=false', '-f', '-'], rbac.map((o) => stringify(o)).join('---\n'));
      }

      /** The pod's service account: token from the API server (TokenRequest), CA, namespace. */
      function saFiles(wl: K8sObject, podDir: string): { serviceAccountDir?: string; serviceAccountKubeconfig?: string } {
        const spec = podSpecOf(wl);
        if (spec.automountServiceAccountToken === false) return {};
        const t = kubectl(['-n', NS, 'create', 'token', spec.serviceAccountName ?? 'default']);
        expect(t.code, t.stderr).toBe(0);
        const saDir = join(podDir, 'serviceaccount');
        mkdirSync(saDir);
        const ca = readFileSync(join(cp.dir, 'pki/ca.crt'), 'utf8');
        writeFileSync(join(saDir, 'token'), t.stdout.trim());
        writeFileSync(join(saDir, 'ca.crt'), ca);
        writeFileSync(join(saDir, 'namespace'), NS);
        const kc = join(podDir, 'sa.kubeconfig');
        writeFileSync(
          kc,
          stringify({
            apiVersion: 'v1',
            kind: 'Config',
            clusters: [{ name: 'c', cluster: { server: cp.apiserverUrl, 'certificate-authority': join(saDir, 'ca.crt') } }],
            users: [{ name: 'sa', user: { token: t.stdout.trim() } }],
            contexts: [{ name: 'c', context: { cluster: 'c', user: 'sa', namespace: NS } }],
            'current-context': 'c',
          }),
        );
        return { serviceAccountDir: saDir, serviceAccountKubeconfig: kc };
      }
    },
    600_000,
  );
});

/** The container port named metrics (the ops server: /healthz, /readyz). */
function metricsPort(wl: K8sObject): number {
  const ports = podSpecOf(wl).containers.flatMap((c) => (c as { ports?: Array<{ name: string; containerPort: number }> }).ports ?? []);
  const p = ports.find((x) => x.name === 'metrics')?.containerPort;
  if (!p) throw new Error(`${wl.metadata.name} has no metrics port`);
  return p;
}

/** A kubelet serving certificate signed by the control plane's CA (what the tlsSecret would hold). */
function servingCert(cp: ControlPlane, out: string): Record<string, string> {
  mkdirSync(out, { recursive: true });
  const P = join(cp.dir, 'pki');
  const sh = (cmd: string) => {
    const r = spawnSync('bash', ['-c', cmd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
  };
  sh(`openssl ecparam -name prime256v1 -genkey -noout -out ${out}/tls.key && openssl req -new -key ${out}/tls.key -subj /CN=system:node:rb5009.lab.example.net -out ${out}/tls.csr && printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ${out}/ext && openssl x509 -req -in ${out}/tls.csr -CA ${P}/ca.crt -CAkey ${P}/ca.key -CAcreateserial -CAserial ${out}/ca.srl -days 1 -extfile ${out}/ext -out ${out}/tls.crt`);
  return { 'tls.crt': readFileSync(join(out, 'tls.crt'), 'utf8'), 'tls.key': readFileSync(join(out, 'tls.key'), 'utf8') };
}
