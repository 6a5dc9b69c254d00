{{/*
Service config files. Each service's file is: the shared part (log, http, grpc), then the part
the chart derives from values (addresses of the other services by Service DNS name, mounted
file paths), then <component>.config from values on top. Credentials never appear here: they
arrive as env from Secrets. Call with (dict "root" $ "key" "ipam" "component" "ipam").
*/}}

{{- define "mikrotik-kube.serviceConfig" -}}
{{- $base := include (printf "mikrotik-kube.config.%s" .key) . | fromYaml -}}
{{- $common := dict "log" (dict "level" .root.Values.logLevel) "http" (dict "host" "0.0.0.0" "port" 8080) "grpc" (dict "host" "0.0.0.0" "port" 9090) -}}
{{- if has .key (include "mikrotik-kube.tokenKeys" . | fromJsonArray) }}
{{- $_ := set $common.grpc "tokenFile" "/etc/mikrotik-kube/grpc-token/token" }}
{{- end }}
{{- $v := get .root.Values .key -}}
{{- toYaml (mustMergeOverwrite $common $base (deepCopy $v.config)) -}}
{{- end }}

{{- define "mikrotik-kube.routerosCaFile" -}}
/etc/mikrotik-kube/routeros-ca/ca.crt
{{- end }}

{{- define "mikrotik-kube.grpcAddress" -}}
{{- printf "%s:9090" (include "mikrotik-kube.serviceHost" .) -}}
{{- end }}

{{/* Where vkProvider.kubelet.tlsSecret is mounted. */}}
{{- define "mikrotik-kube.kubeletTlsDir" -}}
/etc/mikrotik-kube/kubelet-tls
{{- end }}

{{/*
The cluster CA as every pod sees it. In kubeadm clusters it also signs the API server's kubelet
client certificate (apiserver-kubelet-client.crt), which is what the kubelet API must verify.
*/}}
{{- define "mikrotik-kube.clusterCaFile" -}}
/var/run/secrets/kubernetes.io/serviceaccount/ca.crt
{{- end }}

{{- define "mikrotik-kube.config.vkProvider" -}}
{{- $r := .root.Values.routeros -}}
{{- $v := .root.Values.vkProvider -}}
standalone: {{ $v.standalone }}
{{- if $v.standalone }}
podsFile: /etc/mikrotik-kube/boot-order/boot-order.yaml
# No API server dials a standalone provider.
kubelet:
  enabled: false
{{- else }}
cluster:
  nodeName: {{ $v.nodeName | quote }}
  maxPods: {{ $v.maxPods }}
# host 0.0.0.0 and advertiseAddress (the pod IP, from env) are the service's own defaults.
kubelet:
  enabled: true
  port: {{ $v.kubelet.port }}
  {{- if $v.kubelet.verifyClients }}
  clientCaFile: {{ include "mikrotik-kube.clusterCaFile" . }}
  {{- end }}
  {{- if $v.kubelet.requestAsNode }}
  requestAsNode: true
  {{- end }}
  {{- if $v.kubelet.tlsSecret }}
  certFile: {{ include "mikrotik-kube.kubeletTlsDir" . }}/tls.crt
  keyFile: {{ include "mikrotik-kube.kubeletTlsDir" . }}/tls.key
  {{- end }}
{{- end }}
routeros:
  url: {{ $r.url | quote }}
  insecure: {{ $r.insecureSkipVerify }}
  timeoutMs: {{ $r.timeoutMs }}
  {{- if $r.caBundle }}
  caFile: {{ include "mikrotik-kube.routerosCaFile" . }}
  {{- end }}
services:
  ipam: {{ include "mikrotik-kube.grpcAddress" (dict "root" .root "component" "ipam") }}
  storage: {{ include "mikrotik-kube.grpcAddress" (dict "root" .root "component" "storage-converter") }}
  supervisor: {{ include "mikrotik-kube.grpcAddress" (dict "root" .root "component" "boot-supervisor") }}
{{- end }}

{{- define "mikrotik-kube.config.ipam" -}}
{{- $r := .root.Values.routeros -}}
routeros:
  url: {{ $r.url | quote }}
  insecure: {{ $r.insecureSkipVerify }}
  timeoutMs: {{ $r.timeoutMs }}
  {{- if $r.caBundle }}
  caFile: {{ include "mikrotik-kube.routerosCaFile" . }}
  {{- end }}
networks:
{{ toYaml .root.Values.ipam.networks }}
{{- end }}

{{- define "mikrotik-kube.config.storageConverter" -}}
{{- $r := .root.Values.routeros -}}
routeros:
  url: {{ $r.url | quote }}
  insecure: {{ $r.insecureSkipVerify }}
  timeoutMs: {{ $r.timeoutMs }}
  {{- if $r.caBundle }}
  caFile: {{ include "mikrotik-kube.routerosCaFile" . }}
  {{- end }}
{{- if .root.Values.registry.enabled }}
registry:
  url: {{ printf "%s://%s:5000" (ternary "https" "http" (ne .root.Values.registry.tls.secret "")) (include "mikrotik-kube.serviceHost" (dict "root" .root "component" "registry")) | quote }}
{{- else if not (dig "registry" "url" "" .root.Values.storageConverter.config) }}
{{- fail "storageConverter needs an OCI registry: enable registry or set storageConverter.config.registry.url" }}
{{- end }}
storage:
  cacheDir: /var/cache/storage-converter
delivery:
  fetch:
    host: 0.0.0.0
    port: 8090
    signingKeyFile: /etc/mikrotik-kube/fetch-key/key
    {{- with .root.Values.storageConverter.fetchPublicUrl }}
    publicUrl: {{ . | quote }}
    {{- end }}
{{- end }}

{{- define "mikrotik-kube.config.bootSupervisor" -}}
{{- $r := .root.Values.routeros -}}
routeros:
  url: {{ $r.url | quote }}
  insecure: {{ $r.insecureSkipVerify }}
  timeoutMs: {{ $r.timeoutMs }}
  {{- if $r.caBundle }}
  caFile: {{ include "mikrotik-kube.routerosCaFile" . }}
  {{- end }}
leader:
  namespace: {{ include "mikrotik-kube.namespace" .root }}
  leaseName: {{ include "mikrotik-kube.componentName" . }}
{{- end }}

{{- define "mikrotik-kube.config.registry" -}}
{{- $r := .root.Values.registry -}}
listen: 0.0.0.0:5000
storageDir: /var/lib/registry
{{- if $r.auth.htpasswdSecret }}
auth:
  htpasswdFile: /etc/mikrotik-kube/registry-auth/htpasswd
  anonymousRead: {{ $r.auth.anonymousRead }}
{{- end }}
{{- if $r.tls.secret }}
tls:
  certFile: /etc/mikrotik-kube/registry-tls/tls.crt
  keyFile: /etc/mikrotik-kube/registry-tls/tls.key
{{- end }}
{{- /* An upstream's passwordSecret is mounted (extras.registry); the config names the file. */}}
{{- $ups := list }}
{{- range $r.upstreams }}
{{- $u := omit . "passwordSecret" }}
{{- if .passwordSecret }}{{ $_ := set $u "passwordFile" (printf "/etc/mikrotik-kube/upstreams/%s/password" .name) }}{{ end }}
{{- $ups = append $ups $u }}
{{- end }}
upstreams:
{{- toYaml $ups | nindent 2 }}
{{- end }}

{{- define "mikrotik-kube.config.csiController" -}}
{{- $r := .root.Values.rds -}}
driverName: {{ .root.Values.csiDriver.name }}
version: {{ .root.Chart.AppVersion | quote }}
kubeconfig: /etc/mikrotik-kube/kubeconfig/kubeconfig
csi:
  endpoint: unix:///csi/csi.sock
rds:
  address: {{ $r.address | quote }}
  port: {{ $r.port }}
  user: {{ $r.user | quote }}
  keyFile: {{ printf "/etc/mikrotik-kube/rds/%s" $r.existingSecretKey }}
  hostKey:
{{ toYaml $r.hostKeys | indent 4 }}
  insecureSkipHostKey: {{ $r.insecureSkipHostKey }}
  {{- with $r.nvmeAddress }}
  nvmeAddress: {{ . | quote }}
  {{- end }}
  nvmePort: {{ $r.nvmePort }}
  volumeBases:
{{ toYaml $r.volumeBases | indent 4 }}
  btrfsSubvolumes: {{ $r.btrfsSubvolumes | default false }}
  {{- /* Each further target's key is its own Secret, mounted at /etc/mikrotik-kube/rds-targets/<name>. */}}
  targets:
  {{- range $r.targets }}
    - name: {{ .name | quote }}
      address: {{ .address | quote }}
      port: {{ .port | default 22 }}
      user: {{ .user | default "admin" | quote }}
      keyFile: {{ printf "/etc/mikrotik-kube/rds-targets/%s/%s" .name (.existingSecretKey | default "ssh-privatekey") }}
      hostKey: {{ .hostKeys | default list | toJson }}
      insecureSkipHostKey: {{ .insecureSkipHostKey | default false }}
      {{- with .nvmeAddress }}
      nvmeAddress: {{ . | quote }}
      {{- end }}
      nvmePort: {{ .nvmePort | default 4420 }}
      volumeBases: {{ .volumeBases | default $r.volumeBases | toJson }}
      btrfsSubvolumes: {{ hasKey . "btrfsSubvolumes" | ternary .btrfsSubvolumes ($r.btrfsSubvolumes | default false) }}
  {{- else }} []
  {{- end }}
# Only the holder of this namespace's reconcile Lease runs the orphan and attachment reconcilers.
reconcile:
  leaderElection:
    namespace: {{ include "mikrotik-kube.namespace" .root }}
{{- end }}

{{- define "mikrotik-kube.config.csiNode" -}}
driverName: {{ .root.Values.csiDriver.name }}
endpoint: unix:///csi/csi.sock
kubeletDir: {{ .root.Values.csiNode.kubeletDir }}
http:
  port: {{ .root.Values.csiNode.httpPort }}
nvme:
  nqnPrefix: {{ .root.Values.storageClass.parameters.nqnPrefix | quote }}
defaultFsType: {{ .root.Values.storageClass.parameters.fsType }}
{{- end }}
