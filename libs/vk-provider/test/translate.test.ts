import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { parseDependsOn } from '../src/core/annotations';
import { entryCmd } from '../src/core/command';
import { expand, resolveEnv } from '../src/core/env';
import { MAX_CONTAINER_NAME, containerName } from '../src/core/naming';
import { quantityBytes } from '../src/core/quantity';
import { formatTag, parseTag } from '../src/core/tags';
import { specHash, translatePod } from '../src/core/translate';
import { resolveVolumeFiles } from '../src/core/volume-files';
import { parsePodFile } from '../src/standalone/pod-file';

const pod = (spec: Partial<V1Pod['spec']> & object, annotations: Record<string, string> = {}): V1Pod => ({
  metadata: { name: 'web', namespace: 'shop', annotations },
  spec: { containers: [{ name: 'app', image: 'reg/app:1' }], ...spec },
});

describe('env and command', () => {
  it('expands $(VAR) like Kubernetes', () => {
    const env = new Map([['A', 'x']]);
    const look = (n: string) => env.get(n);
    expect(expand('$(A)-$(B)-$$(A)-$$-$-$(', look)).toBe('x-$(B)-$(A)-$-$-$(');
    expect([...resolveEnv([{ name: 'A', value: '1' }, { name: 'B', value: '$(A)$(C)' }, { name: 'C', value: '3' }])]).toEqual([
      ['A', '1'],
      ['B', '1$(C)'],
      ['C', '3'],
    ]);
  });

  it('maps command/args to entrypoint/cmd with quoting', () => {
    expect(entryCmd(['/bin/sh', '-c'], ["echo 'hi' there"])).toEqual({ entrypoint: '/bin/sh -c', cmd: `'echo '\\''hi'\\'' there'` });
    expect(entryCmd(undefined, ['--x'])).toEqual({ cmd: '--x' });
    expect(entryCmd([], [])).toEqual({});
  });
});

describe('names, tags and quantities', () => {
  it('sanitises and cuts container names with a hash, keeping them distinct', () => {
    expect(containerName('default', 'web', 'app')).toBe('default_web_app');
    const long = 'a'.repeat(60);
    const a = containerName('ns', long, 'one');
    const b = containerName('ns', long, 'two');
    expect(a.length).toBe(MAX_CONTAINER_NAME);
    expect(a).not.toBe(b);
    expect(containerName('NS', 'We b', 'x')).toMatch(/^[a-z0-9_.-]+$/);
  });

  it('round-trips tags and rejects look-alikes', () => {
    const t = { namespace: 'a', pod: 'b.c', container: 'd', hash: '0123abcd' };
    expect(parseTag(formatTag(t))).toEqual(t);
    expect(parseTag('mikrotik-kube:vk pod=a/b container=d hash=xyz')).toBeUndefined();
    expect(parseTag('mikrotik-kube:ipam owner=a')).toBeUndefined();
    expect(parseTag(undefined)).toBeUndefined();
  });

  it('parses quantities', () => {
    expect(quantityBytes('64Mi')).toBe(64 * 2 ** 20);
    expect(quantityBytes('1G')).toBe(1e9);
    expect(quantityBytes('1.5Gi')).toBe(1.5 * 2 ** 30);
    expect(quantityBytes('2e3')).toBe(2000);
    expect(quantityBytes('lots')).toBeUndefined();
  });

  it('parses depends-on in both forms and refuses bad items', () => {
    const errors: string[] = [];
    expect(parseDependsOn(' db , infra/dns,,db', 'shop', 'web', errors)).toEqual(['shop/db', 'infra/dns']);
    expect(errors).toEqual([]);
    parseDependsOn('a/b/c, Bad, web', 'shop', 'web', errors);
    expect(errors).toHaveLength(3);
  });
});

describe('translatePod', () => {
  it('translates a full pod', () => {
    const t = translatePod(
      pod(
        {
          restartPolicy: 'OnFailure',
          securityContext: { runAsUser: 1000 },
          volumes: [{ name: 'data', emptyDir: {} }, { name: 'keep', hostPath: { path: '/srv' } }],
          containers: [
            {
              name: 'app',
              image: 'reg/app:1',
              command: ['/app'],
              args: ['--dir', '$(DIR)'],
              env: [{ name: 'DIR', value: '/data' }],
              workingDir: '/data',
              ports: [{ name: 'http', containerPort: 8080 }],
              resources: { limits: { memory: '32Mi' } },
              readinessProbe: { httpGet: { path: '/ready', port: 'http' }, periodSeconds: 2 },
              volumeMounts: [{ name: 'data', mountPath: '/data' }, { name: 'keep', mountPath: '/keep', readOnly: true }],
            },
          ],
        },
        { 'mikrotik.io/depends-on': 'db', 'mikrotik.io/boot-priority': '5' },
      ),
    );
    if (!t.ok) throw new Error(t.errors.join('; '));
    const c = t.plan.containers[0];
    expect(t.plan.restartPolicy).toBe('OnFailure');
    expect(t.plan.annotations.dependsOn).toEqual(['shop/db']);
    expect(c).toMatchObject({ rosName: 'shop_web_app', unit: 'shop/web', entrypoint: '/app', cmd: '--dir /data', user: '1000', workdir: '/data', memoryBytes: 32 * 2 ** 20 });
    expect(c?.volumes).toEqual([
      { volume: 'data', mountPath: '/data', kind: 'VOLUME_KIND_EMPTY_DIR', readOnly: false },
      { volume: 'keep', mountPath: '/keep', kind: 'VOLUME_KIND_PERSISTENT', readOnly: true },
    ]);
    expect(c?.readinessProbe?.http_get).toMatchObject({ path: '/ready', port: 8080 });
    expect(t.plan.notes.join('\n')).toMatch(/hostPath \/srv/);
  });

  it('reports what RouterOS cannot express instead of dropping it', () => {
    const t = translatePod(
      pod({
        initContainers: [{ name: 'init', image: 'x' }],
        containers: [{ name: 'app', image: 'a', ports: [{ containerPort: 80, hostPort: 80 }], livenessProbe: { exec: { command: ['true'] } }, env: [{ name: 'S', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }],
      }),
    );
    if (!t.ok) throw new Error(t.errors.join('; '));
    const notes = t.plan.notes.join('\n');
    for (const what of ['initContainers', 'hostPort', 'exec probe', 'valueFrom']) expect(notes).toContain(what);
  });

  it('carries DNS servers, host aliases and the grace period to the router; reports cluster DNS', () => {
    const t = translatePod(
      pod({
        dnsPolicy: 'None',
        dnsConfig: { nameservers: ['10.9.9.9', 'fd00::53'] },
        hostAliases: [{ ip: '10.1.2.3', hostnames: ['db.local', 'cache'] }],
        terminationGracePeriodSeconds: 5,
      }),
    );
    if (!t.ok) throw new Error(t.errors.join('; '));
    expect(t.plan).toMatchObject({ dns: { nameservers: ['10.9.9.9', 'fd00::53'], replace: true }, hosts: [['db.local', '10.1.2.3'], ['cache', '10.1.2.3']], stopTimeSeconds: 5 });
    expect(t.plan.notes).toEqual([]);
    const cluster = translatePod(pod({ dnsPolicy: 'ClusterFirst', dnsConfig: { nameservers: ['10.9.9.9'] } }));
    if (!cluster.ok) throw new Error(cluster.errors.join('; '));
    expect(cluster.plan.dns).toEqual({ nameservers: ['10.9.9.9'], replace: false });
    expect(cluster.plan.notes.join()).toMatch(/dnsPolicy ClusterFirst: cluster DNS is not reachable/);
    const bad = translatePod(pod({ dnsPolicy: 'Sometimes', dnsConfig: { nameservers: ['ns1'] }, hostAliases: [{ ip: '10.1.2.3', hostnames: ['a,b=c'] }], terminationGracePeriodSeconds: -1 }));
    expect(bad.ok ? [] : bad.errors).toEqual([
      'spec.dnsConfig.nameservers[0]: "ns1" is not an IP address',
      'spec.dnsPolicy: Sometimes is not ClusterFirst, ClusterFirstWithHostNet, Default or None',
      'spec.hostAliases[0].hostnames: "a,b=c" is not a valid hostname',
      'spec.terminationGracePeriodSeconds: -1 is not a whole number of seconds',
    ]);
  });

  it('refuses a persistentVolumeClaim: a router directory is not the claimed volume', () => {
    const t = translatePod(pod({ volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'db' } }], containers: [{ name: 'app', image: 'a', volumeMounts: [{ name: 'data', mountPath: '/data' }] }] }));
    expect(t.ok ? [] : t.errors).toEqual([expect.stringMatching(/^spec\.volumes \(data\): persistentVolumeClaim db cannot back a pod on the router yet/)]);
  });

  it('makes ConfigMap/Secret volumes pod directories of files; what a router file cannot be is reported or refused', async () => {
    const p = pod({
      volumes: [
        { name: 'conf', configMap: { name: 'c', defaultMode: 0o600, items: [{ key: 'a', path: 'a.txt' }, { key: 'b', path: 'sub/b.txt' }] } },
        { name: 'creds', secret: { secretName: 's', optional: true } },
      ],
      containers: [{ name: 'app', image: 'a', volumeMounts: [{ name: 'conf', mountPath: '/conf' }, { name: 'creds', mountPath: '/creds' }] }],
    });
    const t = translatePod(p);
    if (!t.ok) throw new Error(t.errors.join('; '));
    expect(t.plan.fileVolumes).toEqual(['conf', 'creds']);
    expect(t.plan.containers[0]?.volumes.map((v) => v.kind)).toEqual(['VOLUME_KIND_EMPTY_DIR', 'VOLUME_KIND_EMPTY_DIR']);
    expect(t.plan.notes).toEqual(['spec.volumes (conf): file modes are not applied (RouterOS sets no file modes)', 'spec.volumes (conf): item path sub/b.txt is in a subdirectory, which is not supported; it is left out']);
    const lookups = (c: Record<string, string> | undefined) => ({ configMap: async () => c, secret: async () => undefined });
    const files = await resolveVolumeFiles(p, lookups({ a: '1', b: '2' }));
    expect(files).toEqual(new Map([['conf', new Map([['a.txt', '1']])], ['creds', new Map()]]));
    await expect(resolveVolumeFiles(p, lookups(undefined))).rejects.toThrow('configmap "c" not found');
    await expect(resolveVolumeFiles(p, lookups({ b: '2' }))).rejects.toThrow('couldn\'t find key a in configmap shop/c');
    await expect(resolveVolumeFiles(p, lookups({ a: 'x'.repeat(61 * 1024), b: '' }))).rejects.toThrow(/key a of configmap shop\/c is larger than 60 KiB/);
  });

  it('reports that a non-root user cannot write to a volume directory, and fsGroup', () => {
    const t = translatePod(
      pod({
        securityContext: { runAsUser: 1000, fsGroup: 2000 },
        volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'conf', configMap: { name: 'c' } }],
        containers: [{ name: 'app', image: 'a', volumeMounts: [{ name: 'scratch', mountPath: '/tmp/x' }, { name: 'conf', mountPath: '/conf' }, { name: 'scratch', mountPath: '/ro', readOnly: true }] }],
      }),
    );
    if (!t.ok) throw new Error(t.errors.join('; '));
    expect(t.plan.notes).toEqual([
      'spec.securityContext.fsGroup is not applied (RouterOS sets no ownership of volumes)',
      'spec.containers[0] (app).volumeMounts[0]: RouterOS makes volume directories root-owned (0755), so a non-root user cannot write to /tmp/x',
    ]);
  });

  it("takes a pod with the chart's runtimeClassName and the scheduling its RuntimeClass adds, as the same plan", () => {
    const plain = translatePod(pod({}));
    const classed = translatePod(
      pod({ runtimeClassName: 'mikrotik', nodeSelector: { type: 'virtual-kubelet' }, tolerations: [{ key: 'virtual-kubelet.io/provider', operator: 'Equal', value: 'mikrotik', effect: 'NoSchedule' }] }),
    );
    if (!plain.ok || !classed.ok) throw new Error('refused');
    expect(classed.plan.notes).toEqual([]);
    expect(classed.plan.containers).toEqual(plain.plan.containers);
  });

  it('refuses invalid pods with reasons', () => {
    const t = translatePod(pod({ containers: [{ name: 'app', image: 'a', volumeMounts: [{ name: 'nope', mountPath: '/x' }] }] }, { 'mikrotik.io/boot-priority': 'high' }));
    expect(t.ok).toBe(false);
    if (!t.ok) expect(t.errors.join('\n')).toMatch(/boot-priority[\s\S]*no volume named nope/);
  });

  it('hashes the spec, not labels', () => {
    const a = pod({});
    const b = { ...pod({}), metadata: { ...pod({}).metadata, labels: { x: 'y' } } };
    expect(specHash(a)).toBe(specHash(b));
    expect(specHash(a)).not.toBe(specHash(pod({ restartPolicy: 'Never' })));
  });
});

describe('parsePodFile', () => {
  it('reads pods, skips other kinds, flags schema problems and refuses broken YAML', () => {
    const f = parsePodFile(
      [
        'apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: i}]}',
        'kind: Service\nmetadata: {name: s}',
        'metadata: {name: b, namespace: x}\nspec: {containers: [{name: "Bad Name", image: i}]}',
        'spec: {}',
      ].join('\n---\n'),
    );
    expect(f.pods.map((p) => [p.pod.metadata?.namespace, p.pod.metadata?.name, !!p.errors])).toEqual([
      ['default', 'a', false],
      ['x', 'b', true],
    ]);
    expect(f.skipped).toHaveLength(1);
    expect(f.errors).toHaveLength(1);
    expect(() => parsePodFile('metadata: {name: [x\n')).toThrow(/document 1/);
  });

  it('reads ConfigMaps and Secrets beside the pods, refusing data that is not strings or not base64', () => {
    const f = parsePodFile(
      [
        'kind: ConfigMap\nmetadata: {name: conf}\ndata: {greeting: hello}',
        `kind: Secret\nmetadata: {name: creds, namespace: x}\ndata: {token: ${Buffer.from('s3cret').toString('base64')}, old: b2xk}\nstringData: {old: new}`,
        'kind: Secret\nmetadata: {name: bad}\ndata: {token: "not base64!"}',
        'kind: ConfigMap\nmetadata: {name: nums}\ndata: {n: 1}',
      ].join('\n---\n'),
    );
    expect(f.configMaps).toEqual(new Map([['default/conf', { greeting: 'hello' }]]));
    expect(f.secrets).toEqual(new Map([['x/creds', { token: 's3cret', old: 'new' }]]));
    expect(f.errors).toEqual(['document 3: Secret bad: data.token is not base64', 'document 4: ConfigMap nums: data must map keys to strings']);
  });
});
