import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubeClients, kubeSource } from './kube-client';

describe('kubeSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'csi-kube-src-'));
  const token = join(dir, 'token');
  writeFileSync(token, 't');
  const missing = join(dir, 'absent');
  const pod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an explicit kubeconfig wins, even inside a pod', () => {
    expect(kubeSource('/etc/kube/config', pod, token)).toEqual({ kind: 'kubeconfig', path: '/etc/kube/config' });
  });
  it('in a pod (service host set and a service-account token mounted) uses the service account', () => {
    expect(kubeSource(undefined, pod, token)).toEqual({ kind: 'in-cluster' });
  });
  it('needs both the service host and the token file', () => {
    expect(kubeSource(undefined, pod, missing)).toEqual({ kind: 'none' });
    expect(kubeSource(undefined, {}, token)).toEqual({ kind: 'none' });
    expect(kubeSource(undefined, { KUBERNETES_SERVICE_HOST: '' }, token)).toEqual({ kind: 'none' });
  });
  it('no source, no clients', () => {
    expect(kubeClients({ kind: 'none' })).toBeUndefined();
  });
});
