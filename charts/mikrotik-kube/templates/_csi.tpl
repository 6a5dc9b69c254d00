{{/* CSI sidecar helpers. */}}

{{/* Metrics/health ports of the enabled controller sidecars (--http-endpoint), by port name. */}}
{{- define "mikrotik-kube.csiSidecarPorts" -}}
m-provisioner: 8081
m-attacher: 8082
m-resizer: 8083
{{- if .Values.csiController.sidecars.snapshotter.enabled }}
m-snapshotter: 8084
{{- end }}
{{- end }}

{{/* A controller sidecar; call with (dict "root" $ "name" "csi-provisioner" "s" <sidecar values> "port" "m-provisioner" "portNumber" 8081 "args" (list ...)). */}}
{{- define "mikrotik-kube.csiControllerSidecar" -}}
- name: {{ .name }}
  image: {{ include "mikrotik-kube.sidecarImage" (dict "root" .root "image" .s.image) }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args:
    - --csi-address=/csi/csi.sock
    - --leader-election
    - --leader-election-namespace=$(NAMESPACE)
    - --http-endpoint=:{{ .portNumber }}
    - --timeout={{ .s.timeout }}
    - --v=2
    {{- range .args }}
    - {{ . }}
    {{- end }}
  env:
    - name: NAMESPACE
      valueFrom:
        fieldRef:
          fieldPath: metadata.namespace
  ports:
    - name: {{ .port }}
      containerPort: {{ .portNumber }}
  livenessProbe:
    httpGet: {path: /healthz/leader-election, port: {{ .port }}}
    periodSeconds: 20
    timeoutSeconds: 10
    failureThreshold: 1
  resources:
    {{- toYaml .s.resources | nindent 4 }}
  securityContext:
    {{- include "mikrotik-kube.containerSecurityContext" . | nindent 4 }}
  volumeMounts:
    - name: socket-dir
      mountPath: /csi
{{- end }}

{{/* Security context of the node sidecars: root (the kubelet's sockets are root's) but no capabilities. */}}
{{- define "mikrotik-kube.nodeSidecarSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsUser: 0
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end }}
