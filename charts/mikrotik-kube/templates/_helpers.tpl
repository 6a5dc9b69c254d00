{{/* Names, labels, images and the table of services. */}}

{{- define "mikrotik-kube.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{- define "mikrotik-kube.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end }}

{{- define "mikrotik-kube.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end }}

{{- define "mikrotik-kube.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/* Labels of every object; call with (dict "root" $ "component" "ipam"). */}}
{{- define "mikrotik-kube.labels" -}}
helm.sh/chart: {{ include "mikrotik-kube.chart" .root }}
{{ include "mikrotik-kube.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: mikrotik-kube
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels are immutable: name, instance and component only. */}}
{{- define "mikrotik-kube.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mikrotik-kube.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{/* Object name of a component: <fullname>-<component>. */}}
{{- define "mikrotik-kube.componentName" -}}
{{- printf "%s-%s" (include "mikrotik-kube.fullname" .root) .component | trunc 63 | trimSuffix "-" -}}
{{- end }}

{{/*
The services. key: values key; name: component name (also dist/apps/<name>/main.js);
envPrefix: the service's env prefix; api: talks to the Kubernetes API; grpc: serves gRPC; routeros: the
RouterOS REST credentials as the service's env names.
*/}}
{{- define "mikrotik-kube.components" -}}
vkProvider: {name: vk-provider, envPrefix: VK_PROVIDER_, api: true, grpc: false, routeros: {user: ROUTEROS_USER, password: ROUTEROS_PASSWORD}}
ipam: {name: ipam, envPrefix: IPAM_, api: false, grpc: true, routeros: {user: ROUTEROS_USER, password: ROUTEROS_PASSWORD}}
storageConverter: {name: storage-converter, envPrefix: STORAGE_CONVERTER_, api: false, grpc: true, routeros: {user: ROUTEROS_USER, password: ROUTEROS_PASSWORD}}
bootSupervisor: {name: boot-supervisor, envPrefix: BOOT_SUPERVISOR_, api: true, grpc: true, routeros: {user: ROUTEROS_USER, password: ROUTEROS_PASSWORD}}
registry: {name: registry, envPrefix: REGISTRY_, api: false, grpc: false}
csiController: {name: csi-controller, envPrefix: CSI_CONTROLLER_, api: true, grpc: false}
csiNode: {name: csi-node, envPrefix: CSI_NODE_, api: false, grpc: false}
{{- end }}

{{/* The services that call each other over gRPC and share the release's bearer token. */}}
{{- define "mikrotik-kube.tokenKeys" -}}
{{- list "vkProvider" "ipam" "storageConverter" "bootSupervisor" | toJson -}}
{{- end }}

{{- define "mikrotik-kube.grpcTokenSecretName" -}}
{{- printf "%s-grpc-token" (include "mikrotik-kube.fullname" .) -}}
{{- end }}

{{/* The key storage-converter replicas sign fetch URLs with (any replica serves any URL). */}}
{{- define "mikrotik-kube.fetchKeySecretName" -}}
{{- printf "%s-fetch-key" (include "mikrotik-kube.fullname" .) -}}
{{- end }}

{{/* The Deployment-shaped services, in a stable order. */}}
{{- define "mikrotik-kube.deploymentKeys" -}}
{{- list "vkProvider" "ipam" "storageConverter" "bootSupervisor" "registry" | toJson -}}
{{- end }}

{{/* Component facts for a key: (include "mikrotik-kube.component" (dict "root" $ "key" "ipam") | fromYaml). */}}
{{- define "mikrotik-kube.component" -}}
{{- $all := include "mikrotik-kube.components" .root | fromYaml -}}
{{- toYaml (get $all .key) -}}
{{- end }}

{{- define "mikrotik-kube.serviceAccountName" -}}
{{- $v := get .root.Values .key -}}
{{- if $v.serviceAccount.create -}}
{{- default (include "mikrotik-kube.componentName" (dict "root" .root "component" .component)) $v.serviceAccount.name -}}
{{- else -}}
{{- default "default" $v.serviceAccount.name -}}
{{- end -}}
{{- end }}

{{/* The service image: registry/repository@digest or :tag (default appVersion); global.imageRegistry wins over image.registry. */}}
{{- define "mikrotik-kube.image" -}}
{{- $i := .Values.image -}}
{{- $registry := default $i.registry .Values.global.imageRegistry -}}
{{- if $i.digest -}}
{{- printf "%s/%s@%s" $registry $i.repository $i.digest -}}
{{- else -}}
{{- printf "%s/%s:%s" $registry $i.repository (default .Chart.AppVersion $i.tag) -}}
{{- end -}}
{{- end }}

{{/* A sidecar image; call with (dict "root" $ "image" <its image values>). */}}
{{- define "mikrotik-kube.sidecarImage" -}}
{{- printf "%s/%s:%s" (default .image.registry .root.Values.global.imageRegistry) .image.repository .image.tag -}}
{{- end }}

{{- define "mikrotik-kube.routerosSecretName" -}}
{{- default (printf "%s-routeros" (include "mikrotik-kube.fullname" .)) .Values.routeros.existingSecret -}}
{{- end }}

{{- define "mikrotik-kube.rdsSecretName" -}}
{{- default (printf "%s-rds-ssh" (include "mikrotik-kube.fullname" .)) .Values.rds.existingSecret -}}
{{- end }}

{{/* In-cluster DNS name of a component's Service. */}}
{{- define "mikrotik-kube.serviceHost" -}}
{{- printf "%s.%s.svc" (include "mikrotik-kube.componentName" .) (include "mikrotik-kube.namespace" .root) -}}
{{- end }}

{{- define "mikrotik-kube.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "mikrotik-kube.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Pod spec fields every workload shares; call with (dict "root" $ "v" <component values>), plus "component" for a Deployment. */}}
{{- define "mikrotik-kube.podCommon" -}}
enableServiceLinks: false
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
{{- range . }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- with .v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
nodeSelector:
{{ toYaml (merge (deepCopy .v.nodeSelector) (dict "kubernetes.io/os" "linux")) | indent 2 }}
{{- with .v.tolerations }}
tolerations:
{{ toYaml . }}
{{- end }}
{{- $affinity := deepCopy (default dict .v.affinity) }}
{{- if .component }}
{{- /* Deployments: replicas of one component prefer (soft) or require (hard) different nodes, and spread. */}}
{{- $selector := dict "matchLabels" (include "mikrotik-kube.selectorLabels" (dict "root" .root "component" .component) | fromYaml) }}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" $selector }}
{{- if not (hasKey $affinity "podAntiAffinity") }}
{{- if eq .v.podAntiAffinity "soft" }}
{{- $_ := set $affinity "podAntiAffinity" (dict "preferredDuringSchedulingIgnoredDuringExecution" (list (dict "weight" 100 "podAffinityTerm" $term))) }}
{{- else if eq .v.podAntiAffinity "hard" }}
{{- $_ := set $affinity "podAntiAffinity" (dict "requiredDuringSchedulingIgnoredDuringExecution" (list $term)) }}
{{- end }}
{{- end }}
{{- with .v.topologySpreadConstraints }}
topologySpreadConstraints:
{{- range . }}
  - {{ merge (deepCopy .) (dict "labelSelector" $selector) | toYaml | indent 4 | trim }}
{{- end }}
{{- end }}
{{- end }}
{{- with $affinity }}
affinity:
{{ toYaml . | indent 2 }}
{{- end }}
{{- end }}

{{/* RouterOS credentials as the service's own env names; call with (dict "root" $ "c" <component>). */}}
{{- define "mikrotik-kube.routerosEnv" -}}
- name: {{ .c.envPrefix }}{{ .c.routeros.user }}
  valueFrom:
    secretKeyRef:
      name: {{ include "mikrotik-kube.routerosSecretName" .root }}
      key: username
- name: {{ .c.envPrefix }}{{ .c.routeros.password }}
  valueFrom:
    secretKeyRef:
      name: {{ include "mikrotik-kube.routerosSecretName" .root }}
      key: password
{{- end }}

{{/* The pod annotation that rolls a workload when its rendered config changes. */}}
{{- define "mikrotik-kube.configChecksum" -}}
checksum/config: {{ include "mikrotik-kube.serviceConfig" . | sha256sum }}
{{- end }}

{{/* Where router pods must go: the Virtual Kubelet node's label (vk-provider's node-shape.ts sets it)... */}}
{{- define "mikrotik-kube.routerNodeSelector" -}}
type: virtual-kubelet
{{- end }}

{{/* ...and the toleration of its provider taint. */}}
{{- define "mikrotik-kube.routerTolerations" -}}
- key: virtual-kubelet.io/provider
  operator: Equal
  value: mikrotik
  effect: NoSchedule
{{- end }}
