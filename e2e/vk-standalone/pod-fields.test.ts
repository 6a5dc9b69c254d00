// Standalone mode, the Pod fields RouterOS 7.21 can take beyond the basics (DNS servers, host
// aliases, grace period), a claim the router cannot honour, and the pods file's watch: the
// resync timer is an hour, so only fs.watch can bring an edit in.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import { waitFor } from '@mikrotik-kube/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEMO_PASSWORD, DEMO_USER, demoComponents, podNetwork, pods, startStack, type Stack } from '@mikrotik-kube/demo-stack';

const IMAGE = 'registry.local:5000/demo/app:1';
const pod = (name: string, spec: Record<string, unknown>, container: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { ...spec, containers: [{ name: 'app', image: IMAGE, ...container }] },
});
const FIELDS = pod('fields', {
  dnsPolicy: 'None',
  dnsConfig: { nameservers: ['10.9.9.9', '10.9.9.8'] },
  hostAliases: [{ ip: '10.1.2.3', hostnames: ['db.local', 'cache.local'] }],
  terminationGracePeriodSeconds: 5,
});
const CLAIM = pod('claim', { volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'data' } }] }, { volumeMounts: [{ name: 'data', mountPath: '/data' }] });
const yamlOf = (docs: object[]) => docs.map((d) => stringify(d)).join('---\n');

let stack: Stack;
let router: RouterOsClient;
let status: string;
let dir: string;

describe('vk-provider standalone: pod fields and the file watch', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vk-fields-'));
    const source = join(dir, 'pods.yaml');
    writeFileSync(source, yamlOf([FIELDS, CLAIM]));
    stack = await startStack(demoComponents, { network: podNetwork(21 + (process.pid % 200), Math.floor(Math.random() * 250)), podsFile: source, resyncSeconds: 3600 });
    router = new RouterOsClient({ url: stack.ctx.urls['rest'] as string, username: DEMO_USER, password: DEMO_PASSWORD });
    status = stack.ctx.urls['status'] as string;
  }, 300_000);

  afterAll(async () => {
    router?.close();
    await stack?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the container the pod\'s nameservers, host aliases and grace period, with nothing left to report', async () => {
    const c = await waitFor(() => router.containers.find('default_fields_app'), 120_000, 250);
    expect(c.dns).toEqual(['10.9.9.9', '10.9.9.8']);
    expect(c.raw['hosts']).toBe('db.local=10.1.2.3,cache.local=10.1.2.3');
    expect(c.raw['stop-time']).toBe('5s');
    const p = (await pods(status)).find((x) => x.metadata?.name === 'fields');
    expect(p?.status?.conditions?.find((x) => x.type === 'mikrotik.io/UnsupportedFields')).toBeUndefined();
  });

  it('refuses a pod with a persistentVolumeClaim, saying why, and creates nothing for it', async () => {
    const claim = await waitFor(async () => {
      const p = (await pods(status)).find((x) => x.metadata?.name === 'claim');
      return p?.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'InvalidPod' ? p : undefined;
    }, 30_000, 250);
    expect(claim.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(/persistentVolumeClaim data cannot back a pod on the router/);
    expect(await router.containers.find('default_claim_app')).toBeUndefined();
  });

  it('picks up an edit of the pods file through the watch alone (resync is an hour)', async () => {
    const file = stack.ctx.urls['podsFile'] as string;
    await waitFor(() => router.containers.find('default_fields_app'), 120_000, 250);
    writeFileSync(file, `${readFileSync(file, 'utf8')}---\n${yamlOf([pod('late', {})])}`);
    await waitFor(() => router.containers.find('default_late_app'), 20_000, 200);
    const late = (await pods(status)).find((x: V1Pod) => x.metadata?.name === 'late');
    expect(late).toBeDefined();
  });
});
