import { describe, expect, it } from 'vitest';
import { contracts } from './index';

describe('contracts', () => {
  it('load every service with its methods', () => {
    expect(Object.keys(contracts.ipam().Ipam.service)).toEqual(['Allocate', 'Release', 'Get', 'List', 'ListNetworks', 'Reconcile']);
    expect(Object.keys(contracts.images().Images.service)).toContain('EnsureImage');
    expect(contracts.images().Images.service['EnsureImage']?.responseStream).toBe(true);
    expect(Object.keys(contracts.images().Volumes.service)).toContain('ProvisionVolume');
    expect(contracts.supervisor().Supervisor.service['Watch']?.responseStream).toBe(true);
    const csi = contracts.csi();
    expect(Object.keys(csi.Identity.service)).toEqual(['GetPluginInfo', 'GetPluginCapabilities', 'Probe']);
    expect(Object.keys(csi.Controller.service)).toContain('CreateVolume');
    expect(Object.keys(csi.Node.service)).toContain('NodeStageVolume');
  });

  it('round-trips a CSI message with the spec field numbers', () => {
    const def = contracts.csi().Controller.service['CreateVolume'];
    const bytes = def?.requestSerialize({ name: 'pvc-1', capacity_range: { required_bytes: 1 << 30 }, parameters: { fsType: 'ext4' } });
    // field 1 (name, length-delimited) = tag 0x0a, then length 5 and "pvc-1"
    expect(bytes?.subarray(0, 7).toString('latin1')).toBe('\x0a\x05pvc-1');
    const back = def?.requestDeserialize(bytes as Buffer) as { name: string; capacity_range: { required_bytes: number } };
    expect(back.name).toBe('pvc-1');
    expect(back.capacity_range.required_bytes).toBe(1 << 30);
  });
});
