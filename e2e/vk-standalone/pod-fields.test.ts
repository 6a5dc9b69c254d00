// Standalone mode, the Pod fields RouterOS 7.21 can take beyond the basics (DNS servers, host
// aliases, grace period), ConfigMap and Secret volumes written as router files, a claim the
// router cannot honour, and the pods file's watch: the resync timer is an hour, so only
// fs.watch can bring an edit in.
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
const config = (data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config', namespace: 'default' }, data });
const SECRET = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app-secret', namespace: 'default' }, data: { token: Buffer.from('s3cret\n').toString('base64') } };
const FILES = pod(
  'files',
  { volumes: [{ name: 'config', configMap: { name: 'app-config' } }, { name: 'secret', secret: { secretName: 'app-secret' } }] },
  { volumeMounts: [{ name: 'config', mountPath: '/etc/app' }, { name: 'secret', mountPath: '/run/secret', readOnly: true }] },
);
const yamlOf = (docs: object[]) => docs.map((d) => stringify(d)).join('---\n');

let stack: Stack;
let router: RouterOsClient;
let status: string;
let dir: string;

describe('vk-provider standalone: pod fields and the file watch', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vk-fields-'));
    const source = join(dir, 'pods.yaml');
    writeFileSync(source, yamlOf([FIELDS, CLAIM, config({ greeting: 'hello', 'app.conf': 'a=1\n' }), SECRET, FILES]));
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

  /** The pod's volume files on the router, by `<volume>/<key>`. */
  const volumeFiles = async () =>
    Object.fromEntries(
      await Promise.all(
        (await router.files.list()).flatMap((f) => {
          const m = /\/default\/files\/((?:config|secret)\/[^/]+)$/.exec(f.name);
          // A listing carries no contents; reading the file alone does.
          return m && f.type !== 'directory' ? [router.files.find(f.name).then((one) => [m[1], one?.raw['contents']])] : [];
        }),
      ),
    );

  it('writes ConfigMap and Secret volumes into the pod\'s directories on the router, mounted where the pod says', async () => {
    const c = await waitFor(() => router.containers.find('default_files_app'), 120_000, 250);
    // The files are written after the container is added and before it is started: wait for all three.
    const files = await waitFor(async () => {
      const f = await volumeFiles();
      return Object.values(f).filter((v) => v !== undefined).length === 3 ? f : undefined;
    }, 30_000, 250);
    expect(files).toEqual({ 'config/greeting': 'hello', 'config/app.conf': 'a=1\n', 'secret/token': 's3cret\n' });
    const mounts = (await router.containers.mounts.list()).filter((m) => c.mountLists.includes(m.list));
    expect(mounts.map((m) => [m.dst, m.src.split('/').slice(-1)[0], m.readOnly])).toEqual([
      ['/etc/app', 'config', false],
      ['/run/secret', 'secret', true],
    ]);
  });

  it('follows an edit of the ConfigMap: a changed key rewritten, a removed one removed, the container kept', async () => {
    const file = stack.ctx.urls['podsFile'] as string;
    const before = await waitFor(() => router.containers.find('default_files_app'), 120_000, 250);
    writeFileSync(file, readFileSync(file, 'utf8').replace(stringify(config({ greeting: 'hello', 'app.conf': 'a=1\n' })), stringify(config({ greeting: 'bye' }))));
    await waitFor(async () => (await volumeFiles())['config/greeting'] === 'bye', 20_000, 200);
    expect(await volumeFiles()).toEqual({ 'config/greeting': 'bye', 'secret/token': 's3cret\n' });
    expect((await router.containers.find('default_files_app'))?.id).toBe(before.id);
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
