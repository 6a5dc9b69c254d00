// Cluster mode with containers that really run: a Pod applied with kubectl against the real
// control plane runs on the simulated router under runc, and what the API server's Pod says —
// command and args, env from a ConfigMap, a Secret and fields, workingDir, user, hostname, an
// emptyDir and a ConfigMap volume — is what the process got, read back from the router's files.
import { existsSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { busyboxUnavailable, realRuntimeUnavailable } from '@mikrotik-kube/routeros-sim';
import { waitFor, type ProcessHandle } from '@mikrotik-kube/test-support';
import { requireControlPlane } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { routedPodNetwork } from '@mikrotik-kube/demo-stack';
import { PROBE_IMAGE, probeImage, readReport, reportFile } from '../support/probe-image';
import { startClusterStack, type ClusterStack } from './support/cluster-stack';
import { onRouter } from '../support/on-router';

const skip = requireControlPlane() ?? busyboxUnavailable() ?? realRuntimeUnavailable();
if (skip) console.warn(`[vk-cluster real pods] SKIPPED: ${skip}`);

const NODE = `vk-real-${process.pid}`;

describe.skipIf(!!skip)(`vk-provider cluster mode, real containers${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cs: ClusterStack;
  let vk: ProcessHandle;

  beforeAll(async () => {
    cs = await startClusterStack(NODE, { containers: 'real', network: routedPodNetwork(180 + (process.pid % 20), Math.floor(Math.random() * 250)), images: [probeImage()] });
    vk = await cs.startReplica();
    await cs.nodeReady();
  }, 400_000);

  afterAll(async () => {
    await vk?.stop();
    await cs?.stop();
  }, 90_000);

  it('the API server\'s Pod arrives in the process: argv, env from ConfigMap/Secret/fields, cwd, user, hostname, volumes', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'report', namespace: 'default' },
      spec: {
        ...onRouter,
        hostname: 'report-host',
        containers: [
          {
            name: 'app',
            image: PROBE_IMAGE,
            command: ['/report.sh'],
            args: ['one arg', '$(POD_NAME)'],
            env: [
              { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'report-config', key: 'MODE' } } },
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'report-secret', key: 'token' } } },
              { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
              { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
              { name: 'GREETING', value: 'hello $(POD_NAME)' },
            ],
            workingDir: '/work/dir',
            // Root: the router makes volume directories root-owned, so only root may write to one.
            securityContext: { runAsUser: 0, runAsGroup: 50 },
            volumeMounts: [{ name: 'out', mountPath: '/data' }, { name: 'config', mountPath: '/config' }],
          },
        ],
        volumes: [{ name: 'out', emptyDir: {} }, { name: 'config', configMap: { name: 'report-config' } }],
      },
    };
    await cs.apply(
      [
        stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'report-config', namespace: 'default' }, data: { MODE: 'production' } }),
        stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'report-secret', namespace: 'default' }, stringData: { token: 's3cr3t value' } }),
        stringify(pod),
      ].join('---\n'),
    );
    const running: V1Pod = await waitFor(async () => {
      const p = await cs.core.readNamespacedPod({ name: 'report', namespace: 'default' }).catch(() => undefined);
      return p?.status?.phase === 'Running' && p.status.podIP && p.status.containerStatuses?.[0]?.ready ? p : undefined;
    }, 120_000);
    expect(running.spec?.nodeName).toBe(NODE);

    const file = await reportFile(cs.router, cs.stack, 'default_report_app');
    const report = await waitFor(() => (existsSync(file) ? readReport(file) : undefined), 30_000, 200);
    expect(report.argv).toEqual(['/report.sh', 'one arg', 'report']);
    expect(report.env).toMatchObject({ MODE: 'production', TOKEN: 's3cr3t value', POD_NAME: 'report', POD_IP: running.status?.podIP, GREETING: 'hello report' });
    expect(report).toMatchObject({ cwd: '/work/dir', uid: '0', gid: '50', hostname: 'report-host', files: { MODE: 'production' } });
  }, 180_000);
});
