// The kubelet API's lifetime in cluster mode: get the serving certificate
// (files, or a CSR the cluster signs — which may wait for an admin's approval,
// so it runs in the background and never holds up the pods), then — on the
// leader — serve
// /containerLogs, /pods and usage (/stats/summary, /metrics/resource), renewing a CSR-issued certificate before it expires.
import { readFile } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '@mikrotik-kube/service-kit';
import type { Registry } from 'prom-client';
import type { KubeletConfig } from '../config';
import { type KubeletApi, type KubeletApiOptions, startKubeletApi } from './kubelet-api';
import { kubeletAuth } from './kubelet-auth';
import type { RouterUsage } from './node-stats';
import { loadServingCertificate, renewServingCertificate, type ServingCertObserver, servingCertMetrics } from './serving-cert';
import type { ServingCsrStatus } from './serving-csr-status';

export interface KubeletOptions {
  config: KubeletConfig;
  kubeConfig: KubeConfig;
  nodeName: string;
  /** The node's InternalIP (a SAN of a CSR-issued certificate). */
  address: string | undefined;
  logs: KubeletApiOptions['logs'];
  pods: KubeletApiOptions['pods'];
  /** One read of the router's usage (containers and /system/resource) per stats request. */
  usage: () => Promise<RouterUsage>;
  logger: Logger;
  metrics: Registry;
  /** Each step of this replica's serving CSRs (the Node condition and events). */
  servingCsr?: ServingCsrStatus;
}

export interface Kubelet {
  /** Serve once the certificate is there (the leader); until then only the certificate is fetched. */
  serve(): void;
  stop(): Promise<void>;
}

/**
 * Starts getting the serving certificate at once — standbys too, so a standby that takes over
 * already holds an approved one (approve them all: `kubectl certificate approve` on
 * `kubectl get csr -l mikrotik.io/node=<node> -o name`) — and serves when asked.
 */
export function prepareKubelet(o: KubeletOptions): Kubelet {
  const abort = new AbortController();
  let api: KubeletApi | undefined;
  let stopRenewal: (() => void) | undefined;
  let wanted: (() => void) | undefined;
  const serveRequested = new Promise<void>((resolve) => (wanted = resolve));
  const c = o.config;
  const metrics = servingCertMetrics(o.metrics);
  const observer: ServingCertObserver = {
    csr: (p) => {
      metrics.csr(p);
      o.servingCsr?.update(p);
    },
    serving: (c) => metrics.serving(c),
  };
  const csr = { kubeConfig: o.kubeConfig, nodeName: o.nodeName, ipAddresses: o.address ? [o.address] : [], asNode: c.requestAsNode, logger: o.logger, signal: abort.signal, observer };
  const started = (async () => {
    const cert = await loadServingCertificate({ ...csr, certFile: c.certFile, keyFile: c.keyFile });
    metrics.serving(cert);
    const clientCa = c.clientCaFile ? await readFile(c.clientCaFile) : undefined;
    let current = cert;
    stopRenewal = renewServingCertificate(csr, cert, (next) => {
      current = next;
      metrics.serving(next);
      api?.setCertificate(next.cert, next.key);
    });
    await Promise.race([serveRequested, new Promise((resolve) => abort.signal.addEventListener('abort', resolve, { once: true }))]);
    if (abort.signal.aborted) return;
    if (!c.webhook) o.logger.warn('kubelet API authorization is off (kubelet.webhook=false): no bearer tokens, and any client certificate from kubelet.clientCaFile may read every route');
    const auth = c.webhook ? kubeletAuth({ kubeConfig: o.kubeConfig, nodeName: o.nodeName, logger: o.logger, metrics: o.metrics }) : undefined;
    api = await startKubeletApi({ host: c.host, port: c.port, tls: { cert: current.cert, key: current.key, clientCa }, auth, logs: o.logs, pods: o.pods, stats: { nodeName: o.nodeName, usage: o.usage }, logger: o.logger, metrics: o.metrics });
    o.logger.info('kubelet API listening', { host: c.host, port: api.port, certificate: cert.source, authentication: c.webhook ? (clientCa ? 'client certificate or bearer token' : 'bearer token') : clientCa ? 'client certificate' : 'none', authorization: c.webhook ? 'SubjectAccessReview' : 'none' });
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) o.logger.error('kubelet API not started: kubectl logs will not work', { error: (err as Error).message });
  });
  return {
    serve: () => wanted?.(),
    async stop() {
      abort.abort(new Error('stopping'));
      stopRenewal?.();
      await started;
      await api?.close();
    },
  };
}
