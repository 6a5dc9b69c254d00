// The kubelet API's serving certificate: from files, or — as kubelets with
// serverTLSBootstrap do — signed by the cluster through a CertificateSigningRequest with
// signer kubernetes.io/kubelet-serving, so the API server (and metrics-server) can verify it
// against the cluster CA instead of skipping verification of a self-signed one.
import { createPrivateKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { CertificatesV1Api, type KubeConfig, setHeaderOptions, type V1CertificateSigningRequest } from '@kubernetes/client-node';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '@mikrotik-kube/service-kit';
import { buildCsr } from './serving-cert-csr';

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

export interface ServingCert {
  cert: string;
  key: string;
  notBefore: Date;
  notAfter: Date;
  source: 'files' | 'csr';
  /** Name of the CertificateSigningRequest it came from. */
  csrName?: string;
}

export interface CsrOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** IP SANs: the node's InternalIP (what the API server dials). */
  ipAddresses: string[];
  /** DNS SANs; default the node name. */
  dnsNames?: string[];
  /** Create the CSR as `system:node:<node>` (group `system:nodes`) by impersonation, as a kubelet would. */
  asNode?: boolean;
  logger: Logger;
  /** How often to look for the approval and the issued certificate (default 2000 ms). */
  pollMs?: number;
  /** Stops waiting (shutdown). */
  signal?: AbortSignal;
  observer?: ServingCertObserver;
}

/**
 * Where a CSR of ours is: Pending (created, nobody approved it yet), Approved (waiting for the
 * signer), then Issued, Denied or Failed — or Stopped (shutdown, or the API server failed us).
 */
export type CsrPhase = 'Pending' | 'Approved' | 'Issued' | 'Denied' | 'Failed' | 'Stopped';

export interface CsrProgress {
  csr: string;
  phase: CsrPhase;
  message: string;
}

/** Told each step of a CSR (metrics, the Node condition and events) and each certificate served. */
export interface ServingCertObserver {
  csr(p: CsrProgress): void;
  serving(c: Pick<ServingCert, 'notAfter'>): void;
}

/** What an alert needs: a CSR nobody approves, and a certificate close to its end. */
export function servingCertMetrics(registry: Registry): ServingCertObserver {
  const pending = new Gauge({ name: 'mikrotik_kube_vk_serving_csr_pending', help: 'Kubelet serving CSRs of this replica waiting for approval or the signer.', registers: [registry] });
  const expiry = new Gauge({ name: 'mikrotik_kube_vk_serving_cert_expiry_timestamp_seconds', help: 'When the kubelet serving certificate in use expires (Unix time).', registers: [registry] });
  const waiting = new Set<string>();
  return {
    csr: (p) => {
      if (p.phase === 'Pending' || p.phase === 'Approved') waiting.add(p.csr);
      else waiting.delete(p.csr);
      pending.set(waiting.size);
    },
    serving: (c) => expiry.set(c.notAfter.getTime() / 1000),
  };
}

export interface ServingCertOptions extends CsrOptions {
  certFile?: string;
  keyFile?: string;
}

function validity(certPem: string): { notBefore: Date; notAfter: Date; x509: X509Certificate } {
  const x509 = new X509Certificate(certPem);
  return { notBefore: new Date(x509.validFrom), notAfter: new Date(x509.validTo), x509 };
}

/** Files when configured (both or neither), else a CSR signed by the cluster. */
export async function loadServingCertificate(o: ServingCertOptions): Promise<ServingCert> {
  if (!o.certFile !== !o.keyFile) throw new Error('kubelet.certFile and kubelet.keyFile go together: set both or neither');
  if (o.certFile && o.keyFile) {
    const [cert, key] = await Promise.all([readFile(o.certFile, 'utf8'), readFile(o.keyFile, 'utf8')]);
    let v: ReturnType<typeof validity>;
    try {
      v = validity(cert);
    } catch (e) {
      throw new Error(`kubelet.certFile ${o.certFile}: not a PEM certificate (${(e as Error).message})`);
    }
    let matches = false;
    try {
      matches = v.x509.checkPrivateKey(createPrivateKey(key));
    } catch (e) {
      throw new Error(`kubelet.keyFile ${o.keyFile}: not a PEM private key (${(e as Error).message})`);
    }
    if (!matches) throw new Error(`kubelet.keyFile ${o.keyFile} is not the key of kubelet.certFile ${o.certFile}`);
    return { cert, key, notBefore: v.notBefore, notAfter: v.notAfter, source: 'files' };
  }
  return requestServingCertificate(o);
}

/**
 * Creates the CSR (CN system:node:<node>, O system:nodes, SANs) with a fresh P-256 key and
 * waits until an approver approves it and the signer fills status.certificate.
 */
export async function requestServingCertificate(o: CsrOptions): Promise<ServingCert> {
  const keys = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const commonName = `system:node:${o.nodeName}`;
  const request = buildCsr({ commonName, organization: 'system:nodes', dnsNames: o.dnsNames ?? [o.nodeName], ipAddresses: o.ipAddresses }, keys);
  const api = o.kubeConfig.makeApiClient(CertificatesV1Api);
  // The API server records the requester in spec.username/groups; as the node, approvers that
  // check it is the certificate's node (kubelet-csr-approver) can approve it.
  const asNode = o.asNode ? setHeaderOptions('Impersonate-User', commonName, setHeaderOptions('Impersonate-Group', 'system:nodes')) : undefined;
  const created = await api.createCertificateSigningRequest(
    {
      body: {
        apiVersion: 'certificates.k8s.io/v1',
        kind: 'CertificateSigningRequest',
        metadata: { generateName: 'csr-', labels: { 'app.kubernetes.io/name': 'vk-provider', 'mikrotik.io/node': o.nodeName } },
        spec: { request: Buffer.from(request).toString('base64'), signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'key encipherment', 'server auth'] },
      },
    },
    asNode,
  );
  const name = created.metadata?.name ?? '';
  o.logger.info(`kubelet serving certificate requested: awaiting approval of CSR ${name} (kubectl certificate approve ${name})`, { csr: name, signer: KUBELET_SERVING_SIGNER });
  o.observer?.csr({ csr: name, phase: 'Pending', message: `CSR ${name} (signer ${KUBELET_SERVING_SIGNER}) awaits approval: kubectl certificate approve ${name}, or let kubelet-csr-approver approve it` });
  let v: ReturnType<typeof validity>;
  let issued: string;
  try {
    issued = await waitForCertificate(api, name, o);
    v = validity(issued);
    if (!v.x509.checkPrivateKey(keys.privateKey)) throw new CsrRefused('Failed', `CSR ${name}: the issued certificate is not for our key`);
  } catch (e) {
    o.observer?.csr({ csr: name, phase: e instanceof CsrRefused ? e.phase : 'Stopped', message: (e as Error).message });
    throw e;
  }
  const key = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  o.logger.info('kubelet serving certificate issued', { csr: name, issuer: v.x509.issuer, notAfter: v.notAfter.toISOString() });
  o.observer?.csr({ csr: name, phase: 'Issued', message: `serving certificate from CSR ${name}, valid until ${v.notAfter.toISOString()}` });
  return { cert: issued, key, notBefore: v.notBefore, notAfter: v.notAfter, source: 'csr', csrName: name };
}

/** The cluster said no (Denied, Failed) or issued something unusable. */
class CsrRefused extends Error {
  constructor(
    readonly phase: 'Denied' | 'Failed',
    message: string,
  ) {
    super(message);
  }
}

function condition(csr: V1CertificateSigningRequest, type: string) {
  return csr.status?.conditions?.find((c) => c.type === type && c.status !== 'False');
}

async function waitForCertificate(api: CertificatesV1Api, name: string, o: CsrOptions): Promise<string> {
  let approvedLogged = false;
  for (;;) {
    o.signal?.throwIfAborted();
    const csr = await api.readCertificateSigningRequest({ name });
    const refused = condition(csr, 'Denied') ?? condition(csr, 'Failed');
    if (refused) throw new CsrRefused(refused.type as 'Denied' | 'Failed', `CSR ${name} ${refused.type.toLowerCase()}: ${refused.reason ?? ''} ${refused.message ?? ''}`.trim());
    if (csr.status?.certificate) return Buffer.from(csr.status.certificate, 'base64').toString('utf8');
    if (condition(csr, 'Approved') && !approvedLogged) {
      approvedLogged = true;
      o.logger.info('kubelet serving CSR approved; waiting for the signer', { csr: name });
      o.observer?.csr({ csr: name, phase: 'Approved', message: `CSR ${name} approved; waiting for the signer ${KUBELET_SERVING_SIGNER}` });
    }
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, o.pollMs ?? 2000);
      o.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        reject(o.signal?.reason as Error);
      }, { once: true });
    });
  }
}

/** When to renew: at 80% of the validity, as the kubelet's certificate manager roughly does. */
export function renewalTime(c: Pick<ServingCert, 'notBefore' | 'notAfter'>): Date {
  return new Date(c.notBefore.getTime() + 0.8 * (c.notAfter.getTime() - c.notBefore.getTime()));
}

/**
 * Keeps a CSR-issued certificate fresh: requests a new one at renewalTime and hands it to
 * `install` (e.g. KubeletApi.setCertificate); retries a failed request a minute later.
 * Returns a stop function.
 */
export function renewServingCertificate(o: CsrOptions, current: ServingCert, install: (c: ServingCert) => void): () => void {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const schedule = (at: Date) => {
    // setTimeout takes at most ~24.8 days; a longer wait re-arms itself.
    const ms = Math.min(Math.max(0, at.getTime() - Date.now()), 2 ** 31 - 1);
    timer = setTimeout(() => (Date.now() >= at.getTime() ? void renew() : schedule(at)), ms);
    timer.unref();
  };
  const renew = async () => {
    try {
      const next = await requestServingCertificate({ ...o, signal: abort.signal });
      install(next);
      schedule(renewalTime(next));
    } catch (e) {
      if (abort.signal.aborted) return;
      o.logger.warn('kubelet serving certificate renewal failed; retrying in 60 s', { error: (e as Error).message });
      schedule(new Date(Date.now() + 60_000));
    }
  };
  if (current.source === 'csr') schedule(renewalTime(current));
  return () => {
    abort.abort(new Error('stopped'));
    clearTimeout(timer);
  };
}
