import { loadConfig } from '@mikrotik-kube/service-kit';
import { describe, expect, it } from 'vitest';
import { type VkConfig, vkSchema } from '../config';

const load = (...argv: string[]) => loadConfig<VkConfig>({ schema: vkSchema, envPrefix: 'VK_PROVIDER_', env: {}, argv: ['--routeros.url', 'https://10.0.0.1/rest', ...argv] }).config;

describe('cluster config', () => {
  it('defaults to virtual-kubelet timing (10 s ping, 60 s status, 40 s lease)', () => {
    expect(load().cluster).toEqual({
      kubeconfig: '',
      nodeName: 'mikrotik',
      maxPods: 20,
      pingSeconds: 10,
      statusSeconds: 60,
      leaseDurationSeconds: 40,
      // client-go's leader election defaults.
      leaderElection: { enabled: true, namespace: '', leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2 },
    });
  });

  it('serves the kubelet API on :10250 by default, and refuses an advertise address that is not an IP', () => {
    expect(load().kubelet).toEqual({ enabled: true, host: '0.0.0.0', port: 10250, advertiseAddress: '', certFile: '', keyFile: '', clientCaFile: '', webhook: true, requestAsNode: false });
    expect(() => load('--kubelet.advertise-address', 'node.example')).toThrow(/kubelet\.advertiseAddress/);
  });

  it('takes flags and env', () => {
    expect(load('--cluster.node-name', 'rds-1.lab', '--cluster.max-pods', '50').cluster).toMatchObject({ nodeName: 'rds-1.lab', maxPods: 50 });
    const fromEnv = loadConfig<VkConfig>({ schema: vkSchema, envPrefix: 'VK_PROVIDER_', env: { VK_PROVIDER_CLUSTER_KUBECONFIG: '/etc/kube.conf' }, argv: ['--routeros.url', 'https://10.0.0.1/rest'] });
    expect(fromEnv.config.cluster.kubeconfig).toBe('/etc/kube.conf');
  });

  it('refuses a node name that is not a DNS subdomain, and a lease too short to renew', () => {
    expect(() => load('--cluster.node-name', 'RDS_1')).toThrow(/cluster\.nodeName/);
    expect(() => load('--cluster.lease-duration-seconds', '1')).toThrow(/cluster\.leaseDurationSeconds/);
  });
});
