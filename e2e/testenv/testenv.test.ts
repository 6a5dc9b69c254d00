// Smoke test of the Go-built test peers (tools/testenv/build.sh) and the local control plane
// (tools/testenv/control-plane.sh). Each block skips with a clear reason when its peers are
// missing (no Go toolchain, or not built yet).
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  pidAlive,
  requireControlPlane,
  requireTestPeers,
  startControlPlane,
  testenvBinOrThrow,
  type ControlPlane,
} from '@mikrotik-kube/testenv';

const run = promisify(execFile);

function skipNote(reason: string | undefined, what: string): string | undefined {
  if (reason) console.warn(`[testenv] SKIPPED ${what}: ${reason}`);
  return reason;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

describe('testenv skip reasons', () => {
  it('names the missing peers and says how to get them', () => {
    const saved = process.env.TESTENV_BIN;
    process.env.TESTENV_BIN = join(tmpdir(), 'testenv-no-such-dir');
    try {
      const reason = requireTestPeers('csi-sanity', 'kube-apiserver');
      expect(reason).toMatch(/test peers missing: csi-sanity, kube-apiserver/);
      expect(reason).toMatch(/build\.sh|Go/);
    } finally {
      if (saved === undefined) delete process.env.TESTENV_BIN;
      else process.env.TESTENV_BIN = saved;
    }
  });
});

const cpSkip = skipNote(requireControlPlane() ?? requireTestPeers('kubectl'), 'control plane');
describe.skipIf(!!cpSkip)(`local control plane${cpSkip ? ` (skipped: ${cpSkip})` : ''}`, () => {
  let cp: ControlPlane;
  beforeAll(async () => {
    cp = await startControlPlane();
  }, 300_000);
  afterAll(async () => {
    if (!cp) return;
    const pids = Object.values(cp.pids);
    await cp.stop();
    // every process it started is gone (on a loaded machine the kernel may take a moment to finish an exit)
    for (const pid of pids) {
      for (const end = Date.now() + 10_000; pidAlive(pid) && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
      expect(pidAlive(pid), `pid ${pid} still alive`).toBe(false);
    }
    expect(existsSync(cp.dir)).toBe(false);
  }, 60_000);

  it('serves /readyz on loopback and writes a kubeconfig', () => {
    expect(cp.apiserverUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(readFileSync(cp.kubeconfig, 'utf8')).toContain(cp.apiserverUrl);
    expect(Object.keys(cp.pids).sort()).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
  });

  it('creates a namespace with kubectl', async () => {
    const kubectl = testenvBinOrThrow('kubectl');
    const env = cp.childEnv();
    const name = `smoke-${process.pid}`;
    const created = await run(kubectl, ['create', 'namespace', name], { env });
    expect(created.stdout).toContain(`namespace/${name} created`);
    const got = await run(kubectl, ['get', 'namespace', name, '-o', 'jsonpath={.status.phase}'], { env });
    expect(got.stdout).toBe('Active');
    const version = await run(kubectl, ['version', '-o', 'json'], { env });
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toMatch(/^v1\.\d+\.\d+/);
  });
});

const helmSkip = skipNote(requireTestPeers('helm'), 'helm');
describe.skipIf(!!helmSkip)(`helm${helmSkip ? ` (skipped: ${helmSkip})` : ''}`, () => {
  it('renders a tiny chart with helm template', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'testenv-chart-'));
    try {
      const chart = join(dir, 'tiny');
      mkdirSync(join(chart, 'templates'), { recursive: true });
      writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: tiny\nversion: 0.1.0\n');
      writeFileSync(join(chart, 'values.yaml'), 'greeting: hello\n');
      writeFileSync(
        join(chart, 'templates', 'cm.yaml'),
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  kube: {{ .Capabilities.KubeVersion.Version | quote }}\n',
      );
      const { stdout } = await run(testenvBinOrThrow('helm'), ['template', 'smoke', chart, '--set', 'greeting=hi'], {
        env: { ...process.env, HELM_CACHE_HOME: join(dir, 'cache'), HELM_CONFIG_HOME: join(dir, 'config'), HELM_DATA_HOME: join(dir, 'data') },
      });
      expect(stdout).toContain('kind: ConfigMap');
      expect(stdout).toContain('name: smoke-cm');
      expect(stdout).toContain('greeting: "hi"');
      // built with the k8s version ldflags, not helm's go-install default of v1.20
      expect(stdout).not.toContain('kube: "v1.20.0"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const sanitySkip = skipNote(requireTestPeers('csi-sanity'), 'csi-sanity');
describe.skipIf(!!sanitySkip)(`csi-sanity${sanitySkip ? ` (skipped: ${sanitySkip})` : ''}`, () => {
  it('prints its help', async () => {
    const { stdout, stderr } = await run(testenvBinOrThrow('csi-sanity'), ['--help']);
    expect(stdout + stderr).toContain('csi.endpoint');
  });
});

const confSkip = skipNote(requireTestPeers('conformance', 'crane'), 'OCI conformance');
describe.skipIf(!!confSkip)(`OCI distribution-spec conformance runner${confSkip ? ` (skipped: ${confSkip})` : ''}`, () => {
  // The runner has no --help: run without config it tests localhost:5000 and writes ./results.
  // So the smoke test points it at crane's in-memory registry on a free loopback port.
  it('runs against crane registry serve and writes results', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'testenv-oci-'));
    const port = await freePort();
    const registry = spawn(testenvBinOrThrow('crane'), ['registry', 'serve', '--address', `127.0.0.1:${port}`], {
      stdio: 'ignore',
    });
    const exited = new Promise((r) => registry.once('exit', r));
    try {
      for (let i = 0; i < 100; i++) {
        const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const out = join(dir, 'results');
      const res = await run(testenvBinOrThrow('conformance'), [], {
        cwd: dir,
        env: { ...process.env, OCI_REGISTRY: `127.0.0.1:${port}`, OCI_TLS: 'disabled', OCI_RESULTS_DIR: out },
      }).catch((e: { code?: number; stdout?: string; stderr?: string }) => e);
      // exit 1 just means crane's toy registry fails some checks; the runner itself worked
      expect([0, 1, undefined]).toContain((res as { code?: number }).code);
      const results = readFileSync(join(out, 'results.yaml'), 'utf8');
      expect(results).toMatch(/Ping: Pass/);
      expect(existsSync(join(out, 'junit.xml'))).toBe(true);
    } finally {
      registry.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
