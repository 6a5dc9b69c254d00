// A PKCS#10 certificate request (RFC 2986) for an EC P-256 key, DER-encoded here rather than
// by shelling out to openssl: the structure is fixed and small, node:crypto signs it, and the
// provider's image then needs no openssl binary. Tests check it with `openssl req -verify`
// and with the real kube-controller-manager signer.
import { sign, type KeyObject } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { Address6 } from 'ip-address';

export interface CsrSubject {
  commonName: string;
  organization?: string;
  dnsNames: string[];
  ipAddresses: string[];
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  extensionRequest: '1.2.840.113549.1.9.14',
  subjectAltName: '2.5.29.17',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
};

function tlv(tag: number, content: Buffer): Buffer {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  if (n > 0xffff) throw new Error('DER value too long');
  return Buffer.concat([Buffer.from([tag]), len, content]);
}
const seq = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [a * 40 + b];
  for (const v of rest) {
    const groups = [v & 0x7f];
    for (let x = v >>> 7; x > 0; x >>>= 7) groups.unshift((x & 0x7f) | 0x80);
    bytes.push(...groups);
  }
  return tlv(0x06, Buffer.from(bytes));
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!Address6.isValid(ip)) throw new Error(`not an IP address: ${ip}`);
  return Buffer.from(new Address6(ip).toByteArray());
}

/** PEM `CERTIFICATE REQUEST` signed with `key` (EC P-256, ecdsa-with-SHA256). */
export function buildCsr(subject: CsrSubject, key: { privateKey: KeyObject; publicKey: KeyObject }): string {
  if (subject.dnsNames.length + subject.ipAddresses.length === 0) throw new Error('a serving certificate needs at least one DNS name or IP address');
  const rdn = (type: string, value: string) => set(seq(oid(type), utf8(value)));
  const name = seq(...(subject.organization ? [rdn(OID.organization, subject.organization)] : []), rdn(OID.commonName, subject.commonName));
  // GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (both implicit, primitive).
  const sans = seq(...subject.dnsNames.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))), ...subject.ipAddresses.map((ip) => tlv(0x87, ipBytes(ip))));
  const extensions = seq(seq(oid(OID.subjectAltName), tlv(0x04, sans)));
  const attributes = tlv(0xa0, seq(oid(OID.extensionRequest), set(extensions)));
  const spki = key.publicKey.export({ type: 'spki', format: 'der' });
  const info = seq(tlv(0x02, Buffer.from([0])), name, spki, attributes);
  const signature = sign('sha256', info, key.privateKey);
  const der = seq(info, seq(oid(OID.ecdsaWithSha256)), tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${b64}\n-----END CERTIFICATE REQUEST-----\n`;
}
