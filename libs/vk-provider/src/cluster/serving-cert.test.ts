// Against the real control plane (tools/testenv): the serving certificate comes from a
// kubernetes.io/kubelet-serving CSR that an admin approves and kube-controller-manager signs,
// and `kubectl logs` goes API server → (its kubelet client certificate) → our kubelet API →
// routeros-rest → the simulator's /container/log.
import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:tls';
import { CertificatesV1Api, CoreV1Api, KubeConfig, type V1CertificateSigningRequest } from '@kubernetes/client-node';
import { RouterOsClient } from '@mikrotik-kube/routeros-rest';
import type { Simulator } from '@mikrotik-kube/routeros-sim';
import { requireControlPlane, startControlPlane, testenvBin, type ControlPlane } from '@mikrotik-kube/testenv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import winston from 'winston';
import { containerName } from '../core/naming';
import { LogsNotFound, startKubeletApi, type KubeletApi } from './kubelet-api';
import { startTestRouter, type TestRouter } from '../../test/support/test-router';
import { Registry } from 'prom-client';
import { type CsrProgress, KUBELET_SERVING_SIGNER, loadServingCertificate, renewalTime, renewServingCertificate, requestServingCertificate, servingCertMetrics, type ServingCert } from './serving-cert';

const skip = requireControlPlane() ?? (testenvBin('kubectl') ? undefined : 'kubectl is not built (bash tools/testenv/build.sh)');
if (skip) console.warn(`[serving-cert] SKIPPED: ${skip}`);

const NODE = `vk-csr-${process.pid}`;
const logger = winston.createLogger({ level: 'warn', transports: [new winston.transports.Console()] });
const run = promisify(execFile);

describe.skipIf(!!skip)(`kubelet serving certificate via CSR, and kubectl logs through the API server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let cp: ControlPlane;
  let kc: KubeConfig;
  let certs: CertificatesV1Api;
  let core: CoreV1Api;
  let testRouter: TestRouter | undefined;
  let sim: Simulator;
  let router: RouterOsClient;
  let api: KubeletApi | undefined;
  let serving: ServingCert;

  /** Waits for a CSR of ours not in `seen` and approves it as an admin would. */
  async function approveNext(seen: Set<string>): Promise<V1CertificateSigningRequest> {
    const end = Date.now() + 20_000;
    for (;;) {
      const csr = (await certs.listCertificateSigningRequest({ labelSelector: `mikrotik.io/node=${NODE}` })).items.find((c) => !seen.has(c.metadata?.name ?? ''));
      if (csr?.metadata?.name) {
        seen.add(csr.metadata.name);
        await certs.replaceCertificateSigningRequestApproval({
          name: csr.metadata.name,
          body: { ...csr, status: { conditions: [{ type: 'Approved', status: 'True', reason: 'TestApproved', message: 'approved by the serving-cert test' }] } },
        });
        return csr;
      }
      if (Date.now() > end) throw new Error('no new CSR');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    cp = await startControlPlane();
    kc = new KubeConfig();
    kc.loadFromFile(cp.kubeconfig);
    certs = kc.makeApiClient(CertificatesV1Api);
    core = kc.makeApiClient(CoreV1Api);
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await testRouter?.stop();
    await cp?.stop();
  }, 60_000);

  it('requests a kubelet-serving CSR, waits for approval, and serves what the controller-manager signed', async () => {
    const seen = new Set<string>();
    const registry = new Registry();
    const metrics = servingCertMetrics(registry);
    const gauge = async (name: string) => (await registry.getSingleMetric(name)?.get())?.values[0]?.value;
    const pending = loadServingCertificate({ kubeConfig: kc, nodeName: NODE, ipAddresses: ['127.0.0.1'], logger, pollMs: 200, observer: metrics });
    let csr: V1CertificateSigningRequest | undefined;
    const end = Date.now() + 20_000;
    while (!csr && Date.now() < end) {
      csr = (await certs.listCertificateSigningRequest({ labelSelector: `mikrotik.io/node=${NODE}` })).items[0];
      if (!csr) await new Promise((r) => setTimeout(r, 100));
    }
    if (!csr?.metadata?.name) throw new Error('no CSR created');
    expect(csr.spec.signerName).toBe(KUBELET_SERVING_SIGNER);
    expect([...(csr.spec.usages ?? [])].sort()).toEqual(['digital signature', 'key encipherment', 'server auth']);
    const text = execFileSync('openssl', ['req', '-noout', '-verify', '-text'], { input: Buffer.from(csr.spec.request, 'base64'), stdio: 'pipe' }).toString();
    expect(text).toMatch(new RegExp(`Subject: O\\s*=\\s*system:nodes, CN\\s*=\\s*system:node:${NODE}`));
    expect(text).toMatch(new RegExp(`DNS:${NODE}, IP Address:127\\.0\\.0\\.1`));
    // Not yet approved: still waiting.
    expect(await Promise.race([pending.then(() => 'done'), new Promise((r) => setTimeout(() => r('waiting'), 500))])).toBe('waiting');
    expect(await gauge('mikrotik_kube_vk_serving_csr_pending')).toBe(1);

    await approveNext(seen);
    serving = await pending;
    expect(await gauge('mikrotik_kube_vk_serving_csr_pending')).toBe(0);
    metrics.serving(serving);
    expect(await gauge('mikrotik_kube_vk_serving_cert_expiry_timestamp_seconds')).toBe(serving.notAfter.getTime() / 1000);
    expect(serving).toMatchObject({ source: 'csr', csrName: csr.metadata.name });
    const x509 = new X509Certificate(serving.cert);
    const ca = new X509Certificate(readFileSync(join(cp.dir, 'pki/ca.crt')));
    expect(x509.issuer).toBe(ca.subject);
    expect(x509.verify(ca.publicKey)).toBe(true);
    expect(x509.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x509.checkHost(NODE)).toBe(NODE);
    expect(x509.subject).toMatch(new RegExp(`CN=system:node:${NODE}`));
    expect(renewalTime(serving).getTime()).toBeLessThan(serving.notAfter.getTime());
    expect(renewalTime(serving).getTime()).toBeGreaterThan(serving.notBefore.getTime());
  }, 60_000);

  it('kubectl logs reaches the pod through the API server with its kubelet client certificate', async () => {
    const t = await startTestRouter('7.21');
    testRouter = t;
    ({ sim, router } = t);
    const ros = containerName('default', 'logger', 'app');
    await t.addContainer({ name: ros, veth: 'veth-logger', address: '127.0.97.2/24', logging: true });
    sim.context.containers.output(ros, ['hello from RouterOS', 'second']);

    api = await startKubeletApi({
      host: '127.0.0.1',
      port: 0,
      tls: { cert: serving.cert, key: serving.key, clientCa: readFileSync(join(cp.dir, 'pki/ca.crt')) },
      logs: async (ns, pod, container) => {
        if (`${ns}/${pod}/${container}` !== 'default/logger/app') throw new LogsNotFound(`${ns}/${pod}/${container} not found`);
        return router.containers.logs(containerName(ns, pod, container));
      },
      pods: () => [],
      logger,
    });
    await core.createNode({ body: { metadata: { name: NODE }, status: { addresses: [{ type: 'InternalIP', address: '127.0.0.1' }, { type: 'Hostname', address: NODE }], daemonEndpoints: { kubeletEndpoint: { Port: api.port } } } } });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'logger' }, spec: { nodeName: NODE, containers: [{ name: 'app', image: 'example/app' }] } } });

    const kubectl = testenvBin('kubectl') as string;
    const { stdout } = await run(kubectl, ['logs', 'logger', '-c', 'app', '-n', 'default'], { env: cp.childEnv() });
    expect(stdout).toBe('hello from RouterOS\nsecond\n');
    const tail = await run(kubectl, ['logs', 'logger', '--tail=1', '--timestamps'], { env: cp.childEnv() });
    expect(tail.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ second\n$/);
    const prev = await run(kubectl, ['logs', 'logger', '--previous'], { env: cp.childEnv() }).then(() => '', (e: { stderr: string }) => e.stderr);
    expect(prev).toMatch(/previous logs are not kept by RouterOS/);
    const exec = await run(kubectl, ['exec', 'logger', '--', 'ls'], { env: cp.childEnv() }).then(() => '', (e: { stderr: string }) => e.stderr);
    expect(exec).toMatch(/exec is not supported by RouterOS containers/);
  }, 60_000);

  it('renews: a certificate past its renewal time is replaced by a newly approved one, served to new connections', async () => {
    const seen = new Set((await certs.listCertificateSigningRequest({ labelSelector: `mikrotik.io/node=${NODE}` })).items.map((c) => c.metadata?.name ?? ''));
    const installed: ServingCert[] = [];
    const aged = { ...serving, notBefore: new Date(Date.now() - 10_000), notAfter: new Date(Date.now() - 1000) };
    const stop = renewServingCertificate({ kubeConfig: kc, nodeName: NODE, ipAddresses: ['127.0.0.1'], logger, pollMs: 200 }, aged, (c) => {
      installed.push(c);
      api?.setCertificate(c.cert, c.key);
    });
    try {
      const csr = await approveNext(seen);
      const end = Date.now() + 20_000;
      while (installed.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(installed[0]?.csrName).toBe(csr.metadata?.name);
      expect(installed[0]?.cert).not.toBe(serving.cert);
      const pki = (f: string) => readFileSync(join(cp.dir, 'pki', f));
      const served = await new Promise<string>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port: api?.port ?? 0, ca: pki('ca.crt'), cert: pki('apiserver-kubelet-client.crt'), key: pki('apiserver-kubelet-client.key'), servername: NODE });
        s.once('secureConnect', () => {
          resolve(s.getPeerCertificate().fingerprint256);
          s.destroy();
        });
        s.once('error', reject);
      });
      expect(served).toBe(new X509Certificate(installed[0]?.cert ?? '').fingerprint256);
      const { stdout } = await run(testenvBin('kubectl') as string, ['logs', 'logger', '--tail=1'], { env: cp.childEnv() });
      expect(stdout).toBe('second\n');
    } finally {
      stop();
    }
  }, 60_000);

  it('asked as the node (kubelet.requestAsNode), the requester is system:node:<node> in system:nodes, the CN — what kubelet-csr-approver checks — and it is signed the same', async () => {
    const seen = new Set((await certs.listCertificateSigningRequest({ labelSelector: `mikrotik.io/node=${NODE}` })).items.map((c) => c.metadata?.name ?? ''));
    const steps: CsrProgress[] = [];
    const pending = requestServingCertificate({ kubeConfig: kc, nodeName: NODE, ipAddresses: ['127.0.0.1'], asNode: true, logger, pollMs: 200, observer: { csr: (p) => steps.push(p), serving: () => undefined } });
    const csr = await approveNext(seen);
    // The API server records who asked; as the admin (the tests above) it would be the admin.
    expect(csr.spec.username).toBe(`system:node:${NODE}`);
    expect(csr.spec.groups).toContain('system:nodes');
    const text = execFileSync('openssl', ['req', '-noout', '-subject'], { input: Buffer.from(csr.spec.request, 'base64'), stdio: 'pipe' }).toString();
    expect(text).toMatch(new RegExp(`CN\\s*=\\s*${csr.spec.username}\\s*$`, 'm'));
    const cert = await pending;
    expect(cert.csrName).toBe(csr.metadata?.name);
    expect(new X509Certificate(cert.cert).verify(new X509Certificate(readFileSync(join(cp.dir, 'pki/ca.crt'))).publicKey)).toBe(true);
    // Each step, as the Node condition and events show them (Approved only if a poll saw it before the signer).
    expect(steps.map((s) => s.phase).filter((p) => p !== 'Approved')).toEqual(['Pending', 'Issued']);
    expect(steps[0]?.message).toContain(`kubectl certificate approve ${csr.metadata?.name}`);
  }, 60_000);
});
