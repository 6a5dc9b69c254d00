// Name → volume id → NQN must be injective: two CreateVolume names never share a disk or an NQN.
import { describe, expect, it } from 'vitest';
import { isVolumeId, nqnFor, volumeIdForName } from './naming';

describe('volume naming', () => {
  it('keeps Kubernetes names (pvc-<uuid>) as they are, for volumes the upstream driver made', () => {
    expect(volumeIdForName('pvc-0b6f7c3e-5a1d-4e8e-9f7a-2c1d0e9b8a7f')).toBe('pvc-0b6f7c3e-5a1d-4e8e-9f7a-2c1d0e9b8a7f');
  });

  it('gives names that differ only by case different ids and different NQNs', () => {
    const names = ['pvc-Case', 'pvc-case', 'PVC-CASE'];
    const ids = names.map(volumeIdForName);
    expect(new Set(ids).size).toBe(3);
    expect(new Set(ids.map((id) => nqnFor(id))).size).toBe(3);
    for (const id of ids) {
      expect(isVolumeId(id), id).toBe(true);
      // Lower case throughout, so the NQN (lower-cased) is the id itself.
      expect(nqnFor(id)).toBe(`nqn.2000-02.com.mikrotik:${id}`);
    }
    expect(volumeIdForName('pvc-Case')).toBe(volumeIdForName('pvc-Case'));
  });
});
