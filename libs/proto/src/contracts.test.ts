import { describe, expect, it } from 'vitest';
import { contracts, malformedRequest } from './index';

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

  it('marks malformed requests instead of decoding them leniently, nested messages and maps included', () => {
    const def = contracts.csi().Controller.service['CreateVolume'];
    const decode = (bytes: number[]) => def?.requestDeserialize(Buffer.from(bytes));
    const good = def?.requestSerialize({ name: 'pvc-1', parameters: { fsType: 'ext4' }, volume_capabilities: [{ mount: { fs_type: 'ext4' } }] }) as Buffer;
    expect(malformedRequest(def?.requestDeserialize(good))).toBeUndefined();
    // name declared 5 bytes, 1 present.
    expect(malformedRequest(decode([0x0a, 0x05, 0x61]))).toMatch(/name: truncated/);
    // volume_capabilities (3) holding mount (2) holding fs_type (1) whose length runs past mount's end.
    expect(malformedRequest(decode([0x1a, 0x06, 0x12, 0x04, 0x0a, 0x05, 0x61, 0x62]))).toMatch(/volume_capabilities\.mount\.fs_type: truncated/);
    // parameters map entry with a value that is not UTF-8.
    expect(malformedRequest(decode([0x22, 0x06, 0x0a, 0x01, 0x6b, 0x12, 0x01, 0xff]))).toMatch(/parameters.*not valid UTF-8/);
    // Group wire types and field number 0 do not occur in proto3.
    expect(malformedRequest(decode([0x0b]))).toMatch(/wire type 3/);
    expect(malformedRequest(decode([0x00, 0x01]))).toMatch(/field number 0/);
  });
});
