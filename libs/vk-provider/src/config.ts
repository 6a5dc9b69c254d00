// vk-provider configuration: the router, the services it drives, where
// containers live on the router, the reconcile loop and — in standalone mode —
// the pods file; in cluster mode, the API server and the node. YAML (--config) < env (VK_PROVIDER_…) < flags.
import { type RouterOsConnectionConfig, routerOsConnectionSchema } from '@mikrotik-kube/routeros-rest';
import { type BaseConfig, serviceSchema } from '@mikrotik-kube/service-kit';

/**
 * Who starts the pods' containers when the router boots. `supervisor` (the default): they are
 * created start-on-boot=no and the boot supervisor starts them in dependency order once it sees
 * the reboot (router uptime went back, or it started with the router); `router`: restartPolicy
 * Always containers are start-on-boot=yes, RouterOS starts them all at once and the supervisor
 * adopts them — they come up even while the supervisor is down, but in no particular order.
 */
export type BootPolicy = 'supervisor' | 'router';

export interface VkConfig extends BaseConfig {
  standalone: boolean;
  bootPolicy: BootPolicy;
  podsFile: string;
  routeros: RouterOsConnectionConfig;
  services: { ipam: string; storage: string; supervisor: string; deadlineMs: number };
  containers: { rootDir: string; architecture: string };
  reconcile: { resyncSeconds: number; debounceMs: number; concurrency: number; stopTimeoutSeconds: number; extractTimeoutSeconds: number };
  cluster: ClusterConfig;
  kubelet: KubeletConfig;
}

/** The kubelet HTTPS API the API server dials for `kubectl logs` (cluster mode). */
export interface KubeletConfig {
  enabled: boolean;
  host: string;
  port: number;
  /** Address the API server reaches this process at (the Node's InternalIP); '' = the router's address. */
  advertiseAddress: string;
  /** Serving certificate and key (PEM); both empty = ask the cluster for one with a CSR. */
  certFile: string;
  keyFile: string;
  /** CA of the API server's kubelet client certificate; set = client certificates verified. */
  clientCaFile: string;
  /**
   * The kubelet's webhook mode: bearer tokens via TokenReview, every request authorized via
   * SubjectAccessReview (nodes/log, nodes/stats, …). false = any certificate from clientCaFile may read everything.
   */
  webhook: boolean;
  /**
   * Create the serving CSR as the node itself (impersonating `system:node:<node>` in group
   * `system:nodes`), as a kubelet's CSR is: approvers such as kubelet-csr-approver check that the
   * requester is the node the certificate names. Needs RBAC to impersonate that user and group.
   */
  requestAsNode: boolean;
}

/** Cluster mode (Virtual Kubelet node): where the API server is and what the node is called. */
export interface ClusterConfig {
  /** kubeconfig file; empty = $KUBECONFIG, ~/.kube/config or in-cluster. */
  kubeconfig: string;
  nodeName: string;
  maxPods: number;
  /** How often the router is asked whether it answers (and its resources). */
  pingSeconds: number;
  /** Status is pushed at least this often, and at once when readiness changes. */
  statusSeconds: number;
  /** Lease duration; it is renewed every quarter of it, as virtual-kubelet does. */
  leaseDurationSeconds: number;
  /** Several replicas per node: one leads (a Lease), the others stand by. */
  leaderElection: { enabled: boolean; namespace: string; leaseDurationSeconds: number; renewDeadlineSeconds: number; retryPeriodSeconds: number };
}

const grpcAddress = { type: 'string', pattern: '^([A-Za-z0-9.-]+|\\[[0-9a-fA-F:]+\\]):[0-9]{1,5}$|^unix:///', maxLength: 300 };
// A RouterOS path we build on: plain segments, no quoting needed, no traversal.
const routerPath = { type: 'string', pattern: '^[A-Za-z0-9_-][A-Za-z0-9_.-]*(/[A-Za-z0-9_-][A-Za-z0-9_.-]*)*$', maxLength: 120 };

export const vkSchema = serviceSchema(
  {
    standalone: { type: 'boolean', default: false },
    bootPolicy: { type: 'string', enum: ['supervisor', 'router'], default: 'supervisor' },
    podsFile: { type: 'string', default: '/etc/mikrotik-kube/boot-order.yaml' },
    routeros: routerOsConnectionSchema(30_000),
    services: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        ipam: { ...grpcAddress, default: '127.0.0.1:9091' },
        storage: { ...grpcAddress, default: '127.0.0.1:9092' },
        supervisor: { ...grpcAddress, default: '127.0.0.1:9093' },
        deadlineMs: { type: 'integer', minimum: 100, default: 60_000 },
      },
    },
    containers: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        rootDir: { ...routerPath, default: 'disk1/mk-containers' },
        architecture: { type: 'string', enum: ['', 'arm64', 'arm', 'x86'], default: '' },
      },
    },
    reconcile: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        resyncSeconds: { type: 'number', minimum: 1, default: 30 },
        debounceMs: { type: 'integer', minimum: 0, maximum: 60_000, default: 300 },
        concurrency: { type: 'integer', minimum: 1, maximum: 64, default: 4 },
        stopTimeoutSeconds: { type: 'number', minimum: 1, default: 60 },
        extractTimeoutSeconds: { type: 'number', minimum: 1, default: 300 },
      },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        kubeconfig: { type: 'string', default: '' },
        // A node name is a DNS subdomain.
        nodeName: { type: 'string', pattern: '^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$', maxLength: 253, default: 'mikrotik' },
        maxPods: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
        pingSeconds: { type: 'number', minimum: 0.5, maximum: 300, default: 10 },
        statusSeconds: { type: 'number', minimum: 1, maximum: 3600, default: 60 },
        leaseDurationSeconds: { type: 'integer', minimum: 4, maximum: 3600, default: 40 },
        leaderElection: {
          type: 'object',
          additionalProperties: false,
          default: {},
          properties: {
            enabled: { type: 'boolean', default: true },
            // '' = $POD_NAMESPACE (the chart sets it), else 'default'.
            namespace: { type: 'string', pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 63, default: '' },
            leaseDurationSeconds: { type: 'number', minimum: 1, maximum: 600, default: 15 },
            renewDeadlineSeconds: { type: 'number', minimum: 0.5, maximum: 600, default: 10 },
            retryPeriodSeconds: { type: 'number', minimum: 0.1, maximum: 60, default: 2 },
          },
        },
      },
    },
    kubelet: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        host: { type: 'string', default: '0.0.0.0', maxLength: 255 },
        port: { type: 'integer', minimum: 0, maximum: 65535, default: 10250 },
        advertiseAddress: { type: 'string', default: '', maxLength: 64, pattern: '^$|^[0-9.]+$|^[0-9a-fA-F:]+$' },
        certFile: { type: 'string', default: '' },
        keyFile: { type: 'string', default: '' },
        clientCaFile: { type: 'string', default: '' },
        webhook: { type: 'boolean', default: true },
        requestAsNode: { type: 'boolean', default: false },
      },
    },
  },
  ['routeros'],
);
