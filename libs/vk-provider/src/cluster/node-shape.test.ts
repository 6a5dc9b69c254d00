import type { SystemResource } from '@mikrotik-kube/routeros-rest';
import { describe, expect, it } from 'vitest';
import { kubeArch, nextPressures, nodeLabels, nodeStatus, routerAddress, underPressure, withProviderTaint } from './node-shape';

const resource: SystemResource = {
  version: '7.21 (stable)',
  architecture: 'arm64',
  boardName: 'RDS2216',
  platform: 'MikroTik',
  uptime: '1d',
  cpuCount: 4,
  cpuLoad: 3,
  freeMemory: 1000,
  totalMemory: 4_294_967_296,
  freeHddSpace: 0,
  totalHddSpace: 0,
  raw: {},
};
const now = new Date('2026-11-23T12:00:00Z');

describe('node shape', () => {
  it('maps RouterOS architecture names to Kubernetes ones and refuses others', () => {
    expect(['arm64', 'arm', 'x86_64', 'x86'].map(kubeArch)).toEqual(['arm64', 'arm', 'amd64', 'amd64']);
    expect(() => kubeArch('mipsbe')).toThrow(/unsupported RouterOS architecture "mipsbe"/);
  });

  it('labels the node as a linux virtual kubelet of the router architecture', () => {
    expect(nodeLabels('rds1', { ...resource, architecture: 'x86' })).toMatchObject({
      type: 'virtual-kubelet',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'kubernetes.io/hostname': 'rds1',
    });
  });

  it('keeps taints others set and has ours exactly once', () => {
    const ours = { key: 'virtual-kubelet.io/provider', value: 'mikrotik', effect: 'NoSchedule' };
    const other = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
    expect(withProviderTaint(undefined)).toEqual([ours]);
    expect(withProviderTaint([other, { ...ours, value: 'old' }])).toEqual([other, ours]);
  });

  it('takes the InternalIP from an IP router URL only', () => {
    expect(routerAddress('https://192.168.88.1/rest')).toBe('192.168.88.1');
    expect(routerAddress('http://[fd00::1]:8080/rest')).toBe('fd00::1');
    expect(routerAddress('https://router.lan/rest')).toBeUndefined();
  });

  it('reports capacity and nodeInfo from /system/resource and Ready from reachability', () => {
    const up = nodeStatus({ nodeName: 'rds1', maxPods: 20, routerUrl: 'https://10.0.0.1/rest', resource, reachability: { ok: true, since: now }, now });
    expect(up.capacity).toEqual({ cpu: '4', memory: '4294967296', pods: '20' });
    expect(up.allocatable).toEqual(up.capacity);
    expect(up.nodeInfo).toMatchObject({ architecture: 'arm64', operatingSystem: 'linux', osImage: 'RouterOS 7.21 (stable)', containerRuntimeVersion: 'routeros://7.21' });
    expect(up.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.1' }, { type: 'Hostname', address: 'rds1' }]);
    expect(up.conditions).toEqual([expect.objectContaining({ type: 'Ready', status: 'True', reason: 'RouterReady', lastTransitionTime: now })]);

    const down = nodeStatus({ nodeName: 'rds1', maxPods: 20, routerUrl: 'https://10.0.0.1/rest', resource: undefined, reachability: { ok: false, error: 'ECONNREFUSED', since: now }, now });
    expect(down.conditions?.[0]).toMatchObject({ status: 'False', reason: 'RouterUnreachable', message: 'the router does not answer: ECONNREFUSED' });
    const withApi = nodeStatus({ nodeName: 'rds1', maxPods: 20, routerUrl: 'https://10.0.0.1/rest', kubelet: { address: '10.244.1.5', port: 10250 }, resource, reachability: { ok: true, since: now }, now });
    expect(withApi.addresses?.[0]).toEqual({ type: 'InternalIP', address: '10.244.1.5' });
    expect(withApi.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    // Never answered: no capacity invented.
    expect(down.capacity).toBeUndefined();
  });

  it('reports memory and disk pressure with thresholds scaled for routers, keeping lastTransitionTime until a flip', () => {
    const GiB = 2 ** 30;
    const MiB = 2 ** 20;
    const r = (freeMemory: number, totalMemory: number, freeHddSpace = 50, totalHddSpace = 100) => ({ ...resource, freeMemory, totalMemory, freeHddSpace, totalHddSpace });
    // 5 % of 4 GiB is ~205 MiB; a 64 MiB router is short under 16 MiB (a quarter), a 1 GiB one under 51 MiB.
    expect(underPressure(r(300 * MiB, 4 * GiB)).memory).toBe(false);
    expect(underPressure(r(200 * MiB, 4 * GiB)).memory).toBe(true);
    expect(underPressure(r(20 * MiB, 64 * MiB)).memory).toBe(false);
    expect(underPressure(r(15 * MiB, 64 * MiB)).memory).toBe(true);
    expect(underPressure(r(GiB, 4 * GiB, 9, 100)).disk).toBe(true);
    expect(underPressure(r(GiB, 4 * GiB, 0, 0)).disk).toBe(false);

    const t0 = new Date('2026-11-23T12:00:00Z');
    const t1 = new Date('2026-11-23T12:05:00Z');
    const first = nextPressures(undefined, r(GiB, 4 * GiB), t0);
    const same = nextPressures(first, r(GiB, 4 * GiB), t1);
    expect(same.memory).toBe(first.memory);
    const flipped = nextPressures(same, r(100 * MiB, 4 * GiB), t1);
    expect(flipped.memory).toEqual({ on: true, since: t1 });
    expect(flipped.disk).toBe(first.disk);

    const status = nodeStatus({ nodeName: 'rds1', maxPods: 20, routerUrl: 'https://10.0.0.1/rest', resource: r(100 * MiB, 4 * GiB), reachability: { ok: true, since: t0 }, pressures: flipped, now: t1 });
    expect(status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['Ready', 'True', 'RouterReady'],
      ['MemoryPressure', 'True', 'RouterHasInsufficientMemory'],
      ['DiskPressure', 'False', 'RouterHasNoDiskPressure'],
    ]);
    expect(status.conditions?.[1]).toMatchObject({ lastTransitionTime: t1, message: 'the router is short of memory: 100 MiB of 4096 MiB memory free' });
    expect(status.conditions?.[2]?.lastTransitionTime).toBe(t0);
  });
});
