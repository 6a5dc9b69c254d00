// The kubelet's env rules on plain data: order, prefixes, optional sources,
// literal vs expanded values, fields, resources, and the errors that hold a
// container in CreateContainerConfigError. (The API server side is covered by
// e2e/vk-cluster/pods.test.ts.)
import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { resolveEnv } from '../core/env';
import { translatePod } from '../core/translate';
import { EnvConfigError, type EnvLookups, needsResolution, resolvePodEnv } from './env-sources';

const configMaps: Record<string, Record<string, string>> = { app: { MODE: 'prod', 'bad key': 'x', REF: '$(MODE)' } };
const secrets: Record<string, Record<string, string>> = { creds: { user: 'root', password: 'p@ss' } };
let allocations = 0;
const lookups: EnvLookups = {
  configMap: async (_ns, name) => configMaps[name],
  secret: async (_ns, name) => secrets[name],
  podIP: async () => {
    allocations++;
    return '10.1.0.7';
  },
  hostIP: '192.168.88.1',
};

const pod = (container: Record<string, unknown>, status?: V1Pod['status']): V1Pod => ({
  metadata: { name: 'web', namespace: 'shop', uid: 'u-1', labels: { app: 'web' }, annotations: { team: 'a' } },
  spec: { nodeName: 'rds1', serviceAccountName: 'sa', containers: [{ name: 'c', image: 'x', ...container }] },
  ...(status ? { status } : {}),
});

const envOf = async (p: V1Pod) => Object.fromEntries(resolveEnv((await resolvePodEnv(p, lookups)).get('c') ?? []));

describe('resolvePodEnv', () => {
  it('puts envFrom first (prefixed, invalid names skipped, values literal), then env in order', async () => {
    const env = await envOf(
      pod({
        envFrom: [{ configMapRef: { name: 'app' }, prefix: 'CM_' }, { secretRef: { name: 'creds' } }],
        env: [
          { name: 'MODE', value: 'dev' },
          { name: 'SAY', value: 'mode=$(MODE) user=$(user)' },
        ],
      }),
    );
    expect(env).toEqual({ CM_MODE: 'prod', CM_REF: '$(MODE)', user: 'root', password: 'p@ss', MODE: 'dev', SAY: 'mode=dev user=root' });
  });

  it('resolves keys, fields and resources; valueFrom values are not expanded', async () => {
    const env = await envOf(
      pod({
        resources: { limits: { memory: '64Mi', cpu: '250m' } },
        env: [
          { name: 'REF', valueFrom: { configMapKeyRef: { name: 'app', key: 'REF' } } },
          { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
          { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'TEAM', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['team']" } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'HOST', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
          { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
        ],
      }),
    );
    expect(env).toEqual({ REF: '$(MODE)', PW: 'p@ss', NAME: 'web', NS: 'shop', APP: 'web', TEAM: 'a', NODE: 'rds1', HOST: '192.168.88.1', IP: '10.1.0.7', MEM: '64', CPU: '1' });
  });

  it('takes the pod IP from status when the pod has one, without allocating', async () => {
    const before = allocations;
    const env = await envOf(pod({ env: [{ name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }] }, { podIP: '10.1.0.9' }));
    expect(env).toEqual({ IP: '10.1.0.9' });
    expect(allocations).toBe(before);
  });

  it('skips optional missing sources and keys', async () => {
    const env = await envOf(
      pod({
        envFrom: [{ configMapRef: { name: 'nope', optional: true } }],
        env: [
          { name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'missing', optional: true } } },
          { name: 'B', valueFrom: { secretKeyRef: { name: 'nope', key: 'x', optional: true } } },
        ],
      }),
    );
    expect(env).toEqual({});
  });

  it.each([
    [{ envFrom: [{ configMapRef: { name: 'nope' } }] }, 'configmap "nope" not found'],
    [{ env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'nope', key: 'x' } } }] }, 'secret "nope" not found'],
    [{ env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'app', key: 'nokey' } } }] }, "couldn't find key nokey in configmap shop/app"],
    [{ env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } }] }, 'fieldRef status.phase is not supported'],
    [{ env: [{ name: 'A', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }] }, 'the container sets no limits.memory'],
  ])('refuses %j: %s', async (container, message) => {
    const p = resolvePodEnv(pod(container), lookups);
    await expect(p).rejects.toThrow(EnvConfigError);
    await expect(p).rejects.toThrow(message);
  });

  it('feeds translation: no "not supported" notes once resolved, and the spec hash ignores the values', async () => {
    const p = pod({ env: [{ name: 'MODE', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } }] });
    expect(needsResolution(p)).toBe(true);
    const plain = translatePod(p);
    const resolved = translatePod(p, await resolvePodEnv(p, lookups));
    if (!plain.ok || !resolved.ok) throw new Error('translation failed');
    expect(plain.plan.notes.join()).toMatch(/valueFrom is not supported/);
    expect(resolved.plan.notes.join()).not.toMatch(/valueFrom/);
    expect(resolved.plan.containers[0]?.env).toEqual([['MODE', 'prod']]);
    expect(resolved.plan.hash).toBe(plain.plan.hash);
  });
});
