// csi-sanity (kubernetes-csi/csi-test, built from Go source by tools/testenv/build.sh) against
// real processes: the RouterOS simulator (SSH, real sparse files), csi-controller on its own
// socket and csi-node (when apps/csi-node/src/main.ts exists) on another. Every sanity spec
// becomes one Vitest test, so pass/fail counts are sanity's; a failed spec shows ginkgo's message.
//
// For the csi-node engineer: the node runs with --node-id sanity-node, its kubelet dir, state
// file and endpoint in the run's temp dir; CSI_SANITY_NODE_ARGS (space-separated) adds flags.
// CSI_SANITY_SKIP_NODE=1 skips the "Node Service" specs (e.g. on a host without nvme-tcp).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, startTsProcess, type ProcessHandle } from '@mikrotik-kube/test-support';
import { requireTestPeers, testenvBin } from '@mikrotik-kube/testenv';
import { startCombinedEndpoint } from './support/combined-endpoint';
import { parseJunit, type SpecResult } from './support/junit';
import { csiNodeExists, startController, startSim, VOLUME_BASE } from './support/stack';

const NODE_ID = 'sanity-node';
const NVME_STANDIN = join(repoRoot, 'apps/csi-node/test/support/nvme');

/** After a failed run: unmount what is left under the run dir and disconnect (detach loops) what the stand-in attached. */
function releaseNodeLeftovers(dir: string): void {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((t) => t.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const t of mounts) spawnSync('umount', ['-l', t]);
  const env = { ...process.env, NVME_STANDIN_SYSFS: join(dir, 'sys') };
  const listed = spawnSync(NVME_STANDIN, ['list-subsys', '-o', 'json'], { env, encoding: 'utf8' });
  const hosts = listed.status === 0 ? (JSON.parse(listed.stdout) as Array<{ Subsystems: Array<{ NQN: string }> }>) : [];
  for (const s of hosts.flatMap((h) => h.Subsystems)) spawnSync(NVME_STANDIN, ['disconnect', '-n', s.NQN], { env });
}
const skipReason = requireTestPeers('csi-sanity');
const withNode = csiNodeExists() && process.env['CSI_SANITY_SKIP_NODE'] !== '1';

interface Run {
  specs: SpecResult[];
  exitCode: number | null;
  output: string;
  error?: string;
}

async function runSanity(): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'csi-sanity-'));
  // The node reaches exports only at the sim's storage address (its NVMe/TCP face), as the controller's volume context says.
  const sim = await startSim({ nvme: true });
  let node: ProcessHandle | undefined;
  let combined: Awaited<ReturnType<typeof startCombinedEndpoint>> | undefined;
  const controller = await startController(sim, { dir, args: ['--nodes', NODE_ID] }).catch(async (e: unknown) => {
    await sim.stop();
    throw e;
  });
  try {
    let nodeEndpoint = controller.endpoint;
    // The node plugin only touches paths under its kubelet dir, so sanity's dirs live there.
    const kubeletDir = join(dir, 'kubelet');
    const sysRoot = join(dir, 'sys');
    mkdirSync(join(kubeletDir, 'sanity'), { recursive: true });
    if (withNode) {
      nodeEndpoint = `unix://${join(dir, 'node.sock')}`;
      const extra = (process.env['CSI_SANITY_NODE_ARGS'] ?? '').split(/\s+/).filter(Boolean);
      // No nvme-tcp kernel module here: csi-node drives the nvme-cli stand-in, which dials the
      // sim's NVMe/TCP face, attaches the real backing file it names as a loop device and writes
      // sysfs entries under <dir>/sys.
      node = startTsProcess('apps/csi-node/src/main.ts', {
        args: ['--node-id', NODE_ID, '--endpoint', nodeEndpoint, '--kubelet-dir', kubeletDir, '--state-file', join(dir, 'node-state.json'), '--http.host', '127.0.0.1', '--http.port', '0', '--sysfs-root', sysRoot, '--nvme.bin', NVME_STANDIN, ...extra],
        env: { NVME_STANDIN_SYSFS: sysRoot },
      });
      await node.waitForLine(/listening|ready/i, 60_000);
      combined = await startCombinedEndpoint(join(dir, 'combined.sock'), controller.endpoint, nodeEndpoint);
      nodeEndpoint = combined.endpoint;
    }
    const params = join(dir, 'params.yaml');
    writeFileSync(params, `volumePath: ${VOLUME_BASE}\nnvmePort: "4420"\n`);
    const junit = join(dir, 'junit.xml');
    const args = [
      `--csi.endpoint=${nodeEndpoint}`,
      `--csi.controllerendpoint=${controller.endpoint}`,
      `--csi.testvolumeparameters=${params}`,
      `--csi.stagingdir=${join(kubeletDir, 'sanity', 'staging')}`,
      `--csi.mountdir=${join(kubeletDir, 'sanity', 'mount')}`,
      `--ginkgo.junit-report=${junit}`,
      '--ginkgo.timeout=25m',
    ];
    if (!withNode) args.push('--ginkgo.skip=Node Service');
    const child = spawn(testenvBin('csi-sanity') as string, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exitCode = await new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    if (!existsSync(junit)) return { specs: [], exitCode, output, error: 'csi-sanity wrote no JUnit report' };
    return { specs: parseJunit(junit), exitCode, output };
  } finally {
    await combined?.stop();
    await node?.stop();
    if (withNode) releaseNodeLeftovers(dir);
    await controller.stop();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const run: Run | undefined = skipReason ? undefined : await runSanity().catch((e: unknown) => ({ specs: [], exitCode: null, output: '', error: String((e as Error).stack ?? e) }));

describe.skipIf(skipReason)(`csi-sanity vs csi-controller${withNode ? ' + csi-node' : ' (Node Service specs skipped: apps/csi-node not present or CSI_SANITY_SKIP_NODE=1)'}`, () => {
  it('ran and produced a report', () => {
    expect(run?.error, `${run?.error}\n${run?.output.slice(-4000)}`).toBeUndefined();
    expect(run?.specs.length).toBeGreaterThan(50);
  });
  for (const spec of run?.specs ?? []) {
    const test = spec.status === 'skipped' || spec.status === 'pending' ? it.skip : it;
    test(spec.name, () => {
      expect(spec.status, spec.message).toBe('passed');
    });
  }
});
