// `kubectl logs` on a replica that has just taken over: its reconciler has not planned the pods
// yet (the first pass adopts them), yet what runs on the router — found by its containers' tags —
// is read at once; a pod with no tagged container on the router is still "not on this node".
// A real simulator (RouterOS 7.21) with a real container and its log lines.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerName } from '../core/naming';
import type { PodRecord } from '../core/reconciler';
import { formatTag } from '../core/tags';
import { LogsNotFound } from './kubelet-api';
import { podLogs } from './pod-logs';
import { startTestRouter, type TestRouter } from '../../test/support/test-router';

const ROS_NAME = containerName('default', 'web', 'app');

describe('pod logs before the first pass has planned the pod', () => {
  let t: TestRouter;

  beforeAll(async () => {
    t = await startTestRouter('7.21');
    const id = await t.addContainer({ name: ROS_NAME, veth: 'veth-web', address: '127.0.96.2/24', logging: true });
    // As vk-provider tags what it creates for a pod.
    await t.router.containers.set(id, { comment: formatTag({ namespace: 'default', pod: 'web', container: 'app', hash: 'abc123' }) });
    const out = await fetch(`${t.urls.admin}/containers/${ROS_NAME}/output`, { method: 'POST', body: JSON.stringify({ lines: ['serving on :80'] }) });
    expect(out.status).toBe(200);
  }, 60_000);
  afterAll(async () => t?.stop());

  it('reads a running pod the reconciler has no record of from the router, by its tag', async () => {
    const logs = podLogs(t.router, new Map<string, PodRecord>());
    expect((await logs('default', 'web', 'app')).map((l) => l.message)).toEqual(['serving on :80']);
  });

  it('still answers "not on this node" for a pod or container that has nothing on the router', async () => {
    const logs = podLogs(t.router, new Map<string, PodRecord>());
    await expect(logs('default', 'other', 'app')).rejects.toBeInstanceOf(LogsNotFound);
    await expect(logs('default', 'web', 'sidecar')).rejects.toThrow(/does not run on this node/);
  });
});
