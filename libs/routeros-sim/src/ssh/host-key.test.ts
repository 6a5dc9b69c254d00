// sshKeyPair draws again where ssh2's generator makes a pair it cannot read (about 1 in 256).
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { sshKeyPair } from './host-key';

describe('sshKeyPair', () => {
  it('every pair parses back, private and public (2000 draws would hold about 8 bad ones)', () => {
    for (let i = 0; i < 2000; i++) {
      const pair = sshKeyPair('test');
      expect(ssh2.utils.parseKey(pair.private)).not.toBeInstanceOf(Error);
      expect(ssh2.utils.parseKey(pair.public)).not.toBeInstanceOf(Error);
    }
  });
});
