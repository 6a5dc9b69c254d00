{{/*
What differs between the Deployment-shaped services: extra ports, volumes, mounts and env.
Each returns YAML {ports, volumes, volumeMounts, env}; call with (dict "root" $ "key" ... "component" ...).
*/}}

{{- define "mikrotik-kube.extras.vkProvider" -}}
{{- $v := .root.Values.vkProvider -}}
{{- $cfg := include "mikrotik-kube.serviceConfig" . | fromYaml -}}
{{- if $v.standalone }}
volumes:
  - name: boot-order
    configMap:
      name: {{ include "mikrotik-kube.fullname" .root }}-boot-order
volumeMounts:
  - name: boot-order
    mountPath: /etc/mikrotik-kube/boot-order
    readOnly: true
{{- else }}
{{- if $cfg.kubelet.enabled }}
ports:
  - name: kubelet
    containerPort: {{ $cfg.kubelet.port }}
{{- end }}
env:
  # The leader-election Lease lives in the pod's own namespace.
  - name: POD_NAMESPACE
    valueFrom:
      fieldRef:
        fieldPath: metadata.namespace
  # The Node's InternalIP, where the API server dials the kubelet API: this pod.
  - name: VK_PROVIDER_KUBELET_ADVERTISE_ADDRESS
    valueFrom:
      fieldRef:
        fieldPath: status.podIP
{{- if $v.kubelet.tlsSecret }}
volumes:
  - name: kubelet-tls
    secret:
      secretName: {{ $v.kubelet.tlsSecret }}
      # 0440: the key is readable by the pod's group (fsGroup) only.
      defaultMode: 288
      items:
        - {key: tls.crt, path: tls.crt}
        - {key: tls.key, path: tls.key}
volumeMounts:
  - name: kubelet-tls
    mountPath: {{ include "mikrotik-kube.kubeletTlsDir" . }}
    readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{- define "mikrotik-kube.extras.ipam" -}}
env:
  # Replicas start their address search at points derived from their names, so their claims rarely collide.
  - name: IPAM_REPLICA_IDENTITY
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
{{- end }}

{{- define "mikrotik-kube.extras.storageConverter" -}}
{{- $reg := .root.Values.registry -}}
{{- $ours := $reg.enabled -}}
{{- $v := .root.Values.storageConverter -}}
{{- $hostPort := and (not $v.fetchPublicUrl) $v.fetchHostPort -}}
ports:
  - name: fetch
    containerPort: 8090
    {{- if $hostPort }}
    hostPort: {{ $v.fetchHostPort }}
    {{- end }}
env:
  # Where the other replicas reach this one, to relay a download of a tarball only it holds.
  - name: POD_IP
    valueFrom:
      fieldRef:
        fieldPath: status.podIP
  - name: STORAGE_CONVERTER_DELIVERY_FETCH_PEER_URL
    value: "http://$(POD_IP):8090"
  {{- if $hostPort }}
  # The router reaches the node (its LAN), not pod or Service addresses.
  - name: NODE_IP
    valueFrom:
      fieldRef:
        fieldPath: status.hostIP
  - name: STORAGE_CONVERTER_DELIVERY_FETCH_PUBLIC_URL
    value: "http://$(NODE_IP):{{ $v.fetchHostPort }}"
  {{- end }}
  {{- if and $ours $reg.auth.htpasswdSecret }}
  # The registry's own account, from the Secret its htpasswd comes from.
  - name: STORAGE_CONVERTER_REGISTRY_USERNAME
    valueFrom:
      secretKeyRef: {name: {{ $reg.auth.htpasswdSecret }}, key: username}
  - name: STORAGE_CONVERTER_REGISTRY_PASSWORD
    valueFrom:
      secretKeyRef: {name: {{ $reg.auth.htpasswdSecret }}, key: password}
  {{- end }}
  {{- if and $ours $reg.tls.secret }}
  - name: NODE_EXTRA_CA_CERTS
    value: /etc/mikrotik-kube/registry-ca/ca.crt
  {{- end }}
{{- if $hostPort }}
# The old pod holds the hostPort until it is gone: a surge pod could not start on its node.
rollingUpdate: {maxSurge: 0, maxUnavailable: 1}
{{- end }}
volumes:
  - name: cache
    emptyDir:
      sizeLimit: {{ .root.Values.storageConverter.cacheSize }}
  - name: fetch-key
    secret:
      secretName: {{ include "mikrotik-kube.fetchKeySecretName" .root }}
      # 0440: readable by the pod's group (fsGroup) only.
      defaultMode: 288
      items:
        - {key: key, path: key}
  {{- if and $ours $reg.tls.secret }}
  - name: registry-ca
    secret:
      secretName: {{ $reg.tls.secret }}
      items:
        - {key: ca.crt, path: ca.crt}
  {{- end }}
volumeMounts:
  - name: cache
    mountPath: /var/cache/storage-converter
  - name: fetch-key
    mountPath: /etc/mikrotik-kube/fetch-key
    readOnly: true
  {{- if and $ours $reg.tls.secret }}
  - name: registry-ca
    mountPath: /etc/mikrotik-kube/registry-ca
    readOnly: true
  {{- end }}
{{- end }}

{{- define "mikrotik-kube.extras.bootSupervisor" -}}
env:
  # The Lease holder identity: the pod name is unique and readable in `kubectl get lease`.
  - name: BOOT_SUPERVISOR_LEADER_IDENTITY
    valueFrom:
      fieldRef:
        fieldPath: metadata.name
{{- end }}

{{- define "mikrotik-kube.extras.registry" -}}
{{- $p := .root.Values.registry.persistence -}}
ports:
  - name: registry
    containerPort: 5000
volumes:
  - name: data
    {{- if $p.enabled }}
    persistentVolumeClaim:
      claimName: {{ default (include "mikrotik-kube.componentName" .) $p.existingClaim }}
    {{- else }}
    emptyDir: {}
    {{- end }}
  {{- with .root.Values.registry.auth.htpasswdSecret }}
  - name: registry-auth
    secret:
      secretName: {{ . }}
      # 0440: readable by the pod's group (fsGroup) only.
      defaultMode: 288
      items:
        - {key: htpasswd, path: htpasswd}
  {{- end }}
  {{- with .root.Values.registry.tls.secret }}
  - name: registry-tls
    secret:
      secretName: {{ . }}
      defaultMode: 288
      items:
        - {key: tls.crt, path: tls.crt}
        - {key: tls.key, path: tls.key}
  {{- end }}
  {{- range .root.Values.registry.upstreams }}
  {{- if .passwordSecret }}
  - name: upstream-{{ .name }}
    secret:
      secretName: {{ .passwordSecret }}
      defaultMode: 288
      items:
        - {key: password, path: password}
  {{- end }}
  {{- end }}
volumeMounts:
  - name: data
    mountPath: /var/lib/registry
  {{- if .root.Values.registry.auth.htpasswdSecret }}
  - name: registry-auth
    mountPath: /etc/mikrotik-kube/registry-auth
    readOnly: true
  {{- end }}
  {{- if .root.Values.registry.tls.secret }}
  - name: registry-tls
    mountPath: /etc/mikrotik-kube/registry-tls
    readOnly: true
  {{- end }}
  {{- range .root.Values.registry.upstreams }}
  {{- if .passwordSecret }}
  - name: upstream-{{ .name }}
    mountPath: /etc/mikrotik-kube/upstreams/{{ .name }}
    readOnly: true
  {{- end }}
  {{- end }}
{{- end }}

{{/* Mounts every service with a RouterOS connection gets (the CA bundle when given). */}}
{{- define "mikrotik-kube.routerosCa" -}}
{{- if .root.Values.routeros.caBundle }}
volumes:
  - name: routeros-ca
    configMap:
      name: {{ include "mikrotik-kube.fullname" .root }}-routeros-ca
volumeMounts:
  - name: routeros-ca
    mountPath: /etc/mikrotik-kube/routeros-ca
    readOnly: true
{{- else -}}
{}
{{- end }}
{{- end }}

{{/* Probes on the ops port: startup and liveness on /healthz, readiness on /readyz. */}}
{{- define "mikrotik-kube.probes" -}}
startupProbe:
  httpGet: {path: /healthz, port: {{ .port }}}
  periodSeconds: 2
  failureThreshold: 60
livenessProbe:
  httpGet: {path: /healthz, port: {{ .port }}}
  periodSeconds: 10
  timeoutSeconds: 3
  failureThreshold: 3
readinessProbe:
  httpGet: {path: /readyz, port: {{ .port }}}
  periodSeconds: 5
  timeoutSeconds: 3
  failureThreshold: 2
{{- end }}

{{/* One service as a Deployment; call with (dict "root" $ "key" "ipam"). */}}
{{- define "mikrotik-kube.deployment" -}}
{{- $root := .root -}}
{{- $c := include "mikrotik-kube.component" . | fromYaml -}}
{{- $ctx := dict "root" $root "key" .key "component" $c.name -}}
{{- $v := get $root.Values .key -}}
{{- $cfg := include "mikrotik-kube.serviceConfig" $ctx | fromYaml -}}
{{- $x := include (printf "mikrotik-kube.extras.%s" .key) $ctx | fromYaml -}}
{{- $ca := dict -}}
{{- if $c.routeros }}{{ $ca = include "mikrotik-kube.routerosCa" $ctx | fromYaml }}{{ end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "mikrotik-kube.componentName" $ctx }}
  namespace: {{ include "mikrotik-kube.namespace" $root }}
  labels:
    {{- include "mikrotik-kube.labels" $ctx | nindent 4 }}
spec:
  replicas: {{ $v.replicas }}
  revisionHistoryLimit: 5
  selector:
    matchLabels:
      {{- include "mikrotik-kube.selectorLabels" $ctx | nindent 6 }}
  strategy:
    type: RollingUpdate
    rollingUpdate: {{ toJson (default (dict "maxSurge" 1 "maxUnavailable" 0) $x.rollingUpdate) }}
  template:
    metadata:
      labels:
        {{- include "mikrotik-kube.labels" $ctx | nindent 8 }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        {{- include "mikrotik-kube.configChecksum" $ctx | nindent 8 }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "mikrotik-kube.serviceAccountName" $ctx }}
      automountServiceAccountToken: {{ $c.api }}
      {{- include "mikrotik-kube.podCommon" (dict "root" $root "v" $v "component" $c.name) | nindent 6 }}
      securityContext:
        {{- include "mikrotik-kube.podSecurityContext" . | nindent 8 }}
      terminationGracePeriodSeconds: {{ add (int (default 20 $cfg.shutdownTimeoutSeconds)) 10 }}
      containers:
        - name: {{ $c.name }}
          image: {{ include "mikrotik-kube.image" $root }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: [node, {{ printf "/app/dist/apps/%s/main.js" $c.name }}]
          args:
            - --config
            - /etc/mikrotik-kube/config/config.yaml
            {{- with $v.extraArgs }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          env:
            {{- if $c.routeros }}
            {{- include "mikrotik-kube.routerosEnv" (dict "root" $root "c" $c) | nindent 12 }}
            {{- end }}
            {{- with $x.env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: metrics
              containerPort: {{ $cfg.http.port }}
            {{- if $c.grpc }}
            - name: grpc
              containerPort: {{ $cfg.grpc.port }}
            {{- end }}
            {{- with $x.ports }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- include "mikrotik-kube.probes" (dict "port" "metrics") | nindent 10 }}
          resources:
            {{- toYaml $v.resources | nindent 12 }}
          securityContext:
            {{- include "mikrotik-kube.containerSecurityContext" . | nindent 12 }}
          volumeMounts:
            - name: config
              mountPath: /etc/mikrotik-kube/config
              readOnly: true
            - name: tmp
              mountPath: /tmp
            {{- if has .key (include "mikrotik-kube.tokenKeys" . | fromJsonArray) }}
            - name: grpc-token
              mountPath: /etc/mikrotik-kube/grpc-token
              readOnly: true
            {{- end }}
            {{- with $x.volumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
            {{- with $ca.volumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      volumes:
        - name: config
          configMap:
            name: {{ include "mikrotik-kube.componentName" $ctx }}-config
        - name: tmp
          emptyDir: {}
        {{- if has .key (include "mikrotik-kube.tokenKeys" . | fromJsonArray) }}
        - name: grpc-token
          secret:
            secretName: {{ include "mikrotik-kube.grpcTokenSecretName" $root }}
            # 0440: readable by the pod's group (fsGroup) only.
            defaultMode: 288
            items:
              - {key: token, path: token}
        {{- end }}
        {{- with $x.volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
        {{- with $ca.volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end }}
