// The hand-built PKCS#10 request checked by openssl; serving certificates from files.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { buildCsr } from './serving-cert-csr';
import { loadServingCertificate } from './serving-cert';

const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { input, stdio: 'pipe' }).toString();

describe('serving certificate request', () => {
  it('is a valid self-signed PKCS#10 with subject and SANs, also for long names (multi-byte DER lengths)', () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const long = `router-${'x'.repeat(200)}`;
    const pem = buildCsr({ commonName: `system:node:${long}`, organization: 'system:nodes', dnsNames: [long, 'r1.lan'], ipAddresses: ['192.168.88.1', 'fd00::1'] }, keys);
    const text = openssl(['req', '-noout', '-verify', '-text'], pem);
    expect(text).toContain(`Subject: O = system:nodes, CN = system:node:${long}`);
    expect(text).toContain(`DNS:${long}, DNS:r1.lan, IP Address:192.168.88.1, IP Address:FD00:0:0:0:0:0:0:1`);
    expect(text).toContain('ecdsa-with-SHA256');
    const pub = openssl(['req', '-noout', '-pubkey'], pem);
    expect(pub).toBe(keys.publicKey.export({ type: 'spki', format: 'pem' }).toString());
  });

  it('refuses a request without SANs or with a bad IP', () => {
    const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    expect(() => buildCsr({ commonName: 'x', dnsNames: [], ipAddresses: [] }, keys)).toThrow(/at least one/);
    expect(() => buildCsr({ commonName: 'x', dnsNames: [], ipAddresses: ['300.1.1.1'] }, keys)).toThrow(/not an IP address/);
  });

  it('loads certFile/keyFile, and refuses one without the other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'serving-cert-'));
    try {
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=files', '-days', '2', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')]);
      const base = { kubeConfig: new KubeConfig(), nodeName: 'n', ipAddresses: ['127.0.0.1'], logger: winston.createLogger({ silent: true }) };
      const c = await loadServingCertificate({ ...base, certFile: join(dir, 'c.pem'), keyFile: join(dir, 'k.pem') });
      expect(c).toMatchObject({ source: 'files' });
      expect(c.cert).toContain('BEGIN CERTIFICATE');
      expect(c.notAfter.getTime() - c.notBefore.getTime()).toBe(2 * 86400_000);
      await expect(loadServingCertificate({ ...base, certFile: join(dir, 'c.pem') })).rejects.toThrow(/set both or neither/);
      writeFileSync(join(dir, 'bad.pem'), 'not a cert');
      await expect(loadServingCertificate({ ...base, certFile: join(dir, 'bad.pem'), keyFile: join(dir, 'k.pem') })).rejects.toThrow(/certFile .*bad\.pem: not a PEM certificate/);
      await expect(loadServingCertificate({ ...base, certFile: join(dir, 'c.pem'), keyFile: join(dir, 'bad.pem') })).rejects.toThrow(/keyFile .*bad\.pem: not a PEM private key/);
      writeFileSync(join(dir, 'other.pem'), generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
      await expect(loadServingCertificate({ ...base, certFile: join(dir, 'c.pem'), keyFile: join(dir, 'other.pem') })).rejects.toThrow(/is not the key of/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
