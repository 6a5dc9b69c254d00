// Generated from values.schema.json by tools/gen-values-types.ts — do not edit.
// Regenerate: npx tsx charts/mikrotik-kube/tools/gen-values-types.ts

export type Quantity = string | number;

/** string keys to string values */
export type StringMap = {
  [key: string]: string;
};

/** container resources (requests/limits of cpu, memory, ephemeral-storage) */
export type Resources = {
  requests?: {
    cpu?: Quantity;
    memory?: Quantity;
    "ephemeral-storage"?: Quantity;
  };
  limits?: {
    cpu?: Quantity;
    memory?: Quantity;
    "ephemeral-storage"?: Quantity;
  };
};

export type Pdb = {
  /** render a PodDisruptionBudget */
  enabled: boolean;
  /** minAvailable (wins over maxUnavailable when set) */
  minAvailable?: null | number | string;
  /** maxUnavailable */
  maxUnavailable?: null | number | string;
};

export type ServiceAccount = {
  /** create the component's own ServiceAccount */
  create: boolean;
  /** its name (default <fullname>-<component>) */
  name?: string;
  annotations?: StringMap;
};

export type Service = {
  /** Service type */
  type?: "ClusterIP" | "NodePort" | "LoadBalancer";
};

export type SidecarImage = {
  registry: string;
  repository: string;
  tag: string;
};

export type Sidecar = {
  image: SidecarImage;
  /** --timeout of the sidecar */
  timeout?: string;
  resources?: Resources;
};

/** a Kubernetes EnvVar (name plus value or valueFrom) */
export type EnvVar = {
  name: string;
  value?: string;
  /** Kubernetes EnvVarSource */
  valueFrom?: Record<string, unknown>;
};

export type Toleration = {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "" | "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number | null;
};

/** merged over the chart's rendered config file of the service (its keys; the service rejects unknown ones at start, and the chart tests check the rendered files against the services' own schemas) */
export type ServiceConfig = Record<string, unknown>;

/** Kubernetes TopologySpreadConstraints; an entry without labelSelector gets the component's pods */
export type TopologySpreadConstraints = Array<{
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
}>;

/** anti-affinity among the component's replicas (per node) unless affinity.podAntiAffinity is given */
export type PodAntiAffinity = "soft" | "hard" | "none";

/** The chart's values (values.yaml merged with the user's). */
export interface Values {
  nameOverride?: string;
  fullnameOverride?: string;
  namespaceOverride?: string;
  commonLabels?: StringMap;
  image?: {
    registry: string;
    repository: string;
    tag?: string;
    digest?: string;
    pullPolicy?: "IfNotPresent" | "Always" | "Never";
  };
  imagePullSecrets?: Array<string>;
  logLevel?: "error" | "warn" | "info" | "debug";
  routeros?: {
    /** REST base URL */
    url: string;
    username?: string;
    password?: string;
    existingSecret?: string;
    insecureSkipVerify?: boolean;
    caBundle?: string;
    timeoutMs?: number;
  };
  rds?: {
    address?: string;
    port?: number;
    nvmeAddress?: string;
    nvmePort?: number;
    user?: string;
    sshPrivateKey?: string;
    existingSecret?: string;
    existingSecretKey?: string;
    hostKeys?: Array<string>;
    insecureSkipHostKey?: boolean;
    volumeBases?: Array<string>;
    btrfsSubvolumes?: boolean;
    targets?: Array<{
      name: string;
      address: string;
      port?: number;
      user?: string;
      nvmeAddress?: string;
      nvmePort?: number;
      existingSecret: string;
      existingSecretKey?: string;
      hostKeys?: Array<string>;
      insecureSkipHostKey?: boolean;
      volumeBases?: Array<string>;
      btrfsSubvolumes?: boolean;
      storageClassName?: string;
    }>;
  };
  vkProvider?: {
    /** deploy this component */
    enabled: boolean;
    /** replicas of its Deployment */
    replicas?: number;
    /** reconcile the Pod manifests of bootOrder instead of pods bound by the API server (cluster mode, the default) */
    standalone?: boolean;
    /** name of the Node the router appears as (cluster mode); a DNS subdomain */
    nodeName?: string;
    /** pods the node accepts (its capacity and allocatable pods) */
    maxPods?: number;
    /** namespaces whose Secrets pod env may read (empty: any, get only) */
    secretNamespaces?: Array<string>;
    /** the kubelet HTTPS API the API server dials for kubectl logs (cluster mode) */
    kubelet?: {
      /** port of the kubelet API (published as the Node's daemonEndpoints) */
      port?: number;
      /** kubernetes.io/tls Secret (tls.crt, tls.key) with the serving certificate; empty = request one with a CSR (signer kubernetes.io/kubelet-serving) */
      tlsSecret?: string;
      /** require a client certificate signed by the cluster CA (the API server's kubelet client certificate) */
      verifyClients?: boolean;
      /** create the serving CSR as the node (impersonating system:node:<nodeName> in system:nodes), for approvers such as kubelet-csr-approver */
      requestAsNode?: boolean;
    };
    /** pod manifests (standalone mode) */
    bootOrder?: Array<Record<string, unknown>>;
    config?: ServiceConfig;
    resources?: Resources;
    nodeSelector?: StringMap;
    tolerations?: Array<Toleration>;
    /** Kubernetes Affinity */
    affinity?: Record<string, unknown>;
    topologySpreadConstraints?: TopologySpreadConstraints;
    podAntiAffinity?: PodAntiAffinity;
    podAnnotations?: StringMap;
    podLabels?: StringMap;
    priorityClassName?: string;
    /** extra command-line flags (e.g. --log.level=debug) */
    extraArgs?: Array<string>;
    extraEnv?: Array<EnvVar>;
    serviceAccount?: ServiceAccount;
    service?: Service;
    pdb?: Pdb;
  };
  ipam?: {
    /** deploy this component */
    enabled: boolean;
    /** replicas of its Deployment */
    replicas?: number;
    networks?: Array<{
      name: string;
      bridge: string;
      cidr: string;
      gateway: string;
      dns?: Array<string>;
      rangeStart?: string;
      rangeEnd?: string;
      exclude?: Array<string>;
      default?: boolean;
    }>;
    config?: ServiceConfig;
    resources?: Resources;
    nodeSelector?: StringMap;
    tolerations?: Array<Toleration>;
    /** Kubernetes Affinity */
    affinity?: Record<string, unknown>;
    topologySpreadConstraints?: TopologySpreadConstraints;
    podAntiAffinity?: PodAntiAffinity;
    podAnnotations?: StringMap;
    podLabels?: StringMap;
    priorityClassName?: string;
    /** extra command-line flags (e.g. --log.level=debug) */
    extraArgs?: Array<string>;
    extraEnv?: Array<EnvVar>;
    serviceAccount?: ServiceAccount;
    service?: Service;
    pdb?: Pdb;
  };
  storageConverter?: {
    /** deploy this component */
    enabled: boolean;
    /** replicas of its Deployment */
    replicas?: number;
    cacheSize?: Quantity;
    fetchPublicUrl?: string;
    /** node port the router fetches tarballs from (0: none, then fetchPublicUrl is required) */
    fetchHostPort?: number;
    config?: ServiceConfig;
    resources?: Resources;
    nodeSelector?: StringMap;
    tolerations?: Array<Toleration>;
    /** Kubernetes Affinity */
    affinity?: Record<string, unknown>;
    topologySpreadConstraints?: TopologySpreadConstraints;
    podAntiAffinity?: PodAntiAffinity;
    podAnnotations?: StringMap;
    podLabels?: StringMap;
    priorityClassName?: string;
    /** extra command-line flags (e.g. --log.level=debug) */
    extraArgs?: Array<string>;
    extraEnv?: Array<EnvVar>;
    serviceAccount?: ServiceAccount;
    service?: Service;
    pdb?: Pdb;
  };
  bootSupervisor?: {
    /** deploy this component */
    enabled: boolean;
    /** replicas of its Deployment */
    replicas?: number;
    config?: ServiceConfig;
    resources?: Resources;
    nodeSelector?: StringMap;
    tolerations?: Array<Toleration>;
    /** Kubernetes Affinity */
    affinity?: Record<string, unknown>;
    topologySpreadConstraints?: TopologySpreadConstraints;
    podAntiAffinity?: PodAntiAffinity;
    podAnnotations?: StringMap;
    podLabels?: StringMap;
    priorityClassName?: string;
    /** extra command-line flags (e.g. --log.level=debug) */
    extraArgs?: Array<string>;
    extraEnv?: Array<EnvVar>;
    serviceAccount?: ServiceAccount;
    service?: Service;
    pdb?: Pdb;
  };
  registry?: {
    /** deploy this component */
    enabled: boolean;
    /** replicas of its Deployment */
    replicas?: number;
    auth?: {
      /** Secret with keys htpasswd (bcrypt), username and password (storage-converter's login) */
      htpasswdSecret?: string;
      anonymousRead?: boolean;
    };
    tls?: {
      /** kubernetes.io/tls Secret with tls.crt, tls.key and ca.crt */
      secret?: string;
    };
    upstreams?: Array<{
      name: string;
      /** no credentials in the URL: username + passwordSecret */
      url: string;
      mirror?: boolean;
      libraryDefault?: boolean;
      tagTtlSeconds?: number;
      username?: string;
      /** Secret with key password, mounted as the upstream's passwordFile */
      passwordSecret?: string;
    }>;
    persistence?: {
      enabled?: boolean;
      existingClaim?: string;
      storageClass?: string;
      accessModes?: Array<"ReadWriteOnce" | "ReadWriteMany" | "ReadWriteOncePod">;
      size?: Quantity;
    };
    config?: ServiceConfig;
    resources?: Resources;
    nodeSelector?: StringMap;
    tolerations?: Array<Toleration>;
    /** Kubernetes Affinity */
    affinity?: Record<string, unknown>;
    topologySpreadConstraints?: TopologySpreadConstraints;
    podAntiAffinity?: PodAntiAffinity;
    podAnnotations?: StringMap;
    podLabels?: StringMap;
    priorityClassName?: string;
    /** extra command-line flags (e.g. --log.level=debug) */
    extraArgs?: Array<string>;
    extraEnv?: Array<EnvVar>;
    serviceAccount?: ServiceAccount;
    service?: Service;
    pdb?: Pdb;
  };
  csiController?: {
    /** deploy this component */
    enabled: boolean;
    /** replicas of its Deployment */
    replicas?: number;
    sidecars?: {
      provisioner?: {
        image: SidecarImage;
        workerThreads?: number;
        timeout?: string;
        resources?: Resources;
      };
      attacher?: Sidecar;
      resizer?: Sidecar;
      snapshotter?: {
        enabled?: boolean;
        image: SidecarImage;
        timeout?: string;
        resources?: Resources;
      };
      livenessProbe?: {
        image: SidecarImage;
        resources?: Resources;
      };
    };
    config?: ServiceConfig;
    resources?: Resources;
    nodeSelector?: StringMap;
    tolerations?: Array<Toleration>;
    /** Kubernetes Affinity */
    affinity?: Record<string, unknown>;
    topologySpreadConstraints?: TopologySpreadConstraints;
    podAntiAffinity?: PodAntiAffinity;
    podAnnotations?: StringMap;
    podLabels?: StringMap;
    priorityClassName?: string;
    /** extra command-line flags (e.g. --log.level=debug) */
    extraArgs?: Array<string>;
    extraEnv?: Array<EnvVar>;
    serviceAccount?: ServiceAccount;
    service?: Service;
    pdb?: Pdb;
  };
  csiNode?: {
    /** deploy this component */
    enabled: boolean;
    kubeletDir?: string;
    httpPort?: number;
    healthPort?: number;
    registrarHttpPort?: number;
    updateStrategy?: {
      maxUnavailable?: number | string;
    };
    sidecars?: {
      nodeDriverRegistrar?: {
        image: SidecarImage;
        resources?: Resources;
      };
      livenessProbe?: {
        image: SidecarImage;
        resources?: Resources;
      };
    };
    config?: ServiceConfig;
    resources?: Resources;
    nodeSelector?: StringMap;
    tolerations?: Array<Toleration>;
    /** Kubernetes Affinity */
    affinity?: Record<string, unknown>;
    podAnnotations?: StringMap;
    podLabels?: StringMap;
    priorityClassName?: string;
    /** extra command-line flags (e.g. --log.level=debug) */
    extraArgs?: Array<string>;
    extraEnv?: Array<EnvVar>;
    /** extra pod volumes (e.g. a hostPath with node tooling) */
    extraVolumes?: Array<Record<string, unknown>>;
    /** extra mounts of the csi-node container */
    extraVolumeMounts?: Array<Record<string, unknown>>;
    serviceAccount?: ServiceAccount;
  };
  csiDriver?: {
    name: string;
    attachRequired?: boolean;
    podInfoOnMount?: boolean;
    fsGroupPolicy?: "ReadWriteOnceWithFSType" | "File" | "None";
  };
  storageClass?: {
    create?: boolean;
    name?: string;
    isDefault?: boolean;
    reclaimPolicy?: "Delete" | "Retain";
    volumeBindingMode?: "WaitForFirstConsumer" | "Immediate";
    allowVolumeExpansion?: boolean;
    /** mount options of the class's volumes */
    mountOptions?: Array<string>;
    parameters?: {
      rdsTarget?: string;
      rdsAddress?: string;
      nvmeAddress?: string;
      nvmePort?: string;
      sshPort?: string;
      fsType?: "ext4" | "ext3" | "xfs";
      volumePath?: string;
      nqnPrefix?: string;
      ctrlLossTmo?: string;
      reconnectDelay?: string;
      keepAliveTmo?: string;
      migrationTimeoutSeconds?: string;
    };
  };
  /** more StorageClasses; unset fields come from storageClass */
  storageClasses?: Array<{
    name: string;
    isDefault?: boolean;
    reclaimPolicy?: "Delete" | "Retain";
    volumeBindingMode?: "WaitForFirstConsumer" | "Immediate";
    allowVolumeExpansion?: boolean;
    /** mount options of the class's volumes */
    mountOptions?: Array<string>;
    parameters?: {
      rdsTarget?: string;
      rdsAddress?: string;
      nvmeAddress?: string;
      nvmePort?: string;
      sshPort?: string;
      fsType?: "ext4" | "ext3" | "xfs";
      volumePath?: string;
      nqnPrefix?: string;
      ctrlLossTmo?: string;
      reconnectDelay?: string;
      keepAliveTmo?: string;
      migrationTimeoutSeconds?: string;
    };
  }>;
  volumeSnapshotClass?: {
    enabled?: boolean;
    name?: string;
    isDefault?: boolean;
    deletionPolicy?: "Delete" | "Retain";
  };
  serviceMonitor?: {
    enabled?: boolean;
    interval?: string;
    scrapeTimeout?: string;
    labels?: StringMap;
  };
  podMonitor?: {
    enabled?: boolean;
    interval?: string;
    scrapeTimeout?: string;
    labels?: StringMap;
  };
  prometheusRule?: {
    enabled?: boolean;
    labels?: StringMap;
    certExpiryDays?: number;
    restartsPerHour?: number;
    for?: string;
  };
  grafanaDashboard?: {
    enabled?: boolean;
    namespace?: string;
    labels?: StringMap;
    annotations?: StringMap;
  };
  runtimeClass?: {
    create?: boolean;
    name?: string;
    handler?: string;
  };
  /** more manifests: objects, or strings expanded with tpl */
  extraObjects?: Array<Record<string, unknown> | string>;
  uninstallCleanup?: {
    enabled?: boolean;
    timeoutSeconds?: number;
    resources?: Resources;
  };
  networkPolicy?: {
    enabled?: boolean;
    /** Kubernetes LabelSelector */
    metricsNamespaceSelector?: Record<string, unknown>;
    routerCidrs?: Array<string>;
  };
  /** set by Helm when the chart is a subchart; imageRegistry is ours */
  global?: {
    /** registry host for every image (ours and the CSI sidecars') */
    imageRegistry?: string;
  };
}

/** What a values file may contain: any subset of Values. */
export type ValuesOverride = DeepPartial<Values>;
export type DeepPartial<T> = T extends Array<infer U> ? Array<DeepPartial<U>> : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
