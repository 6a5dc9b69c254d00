{{/*
Values a working install cannot do without. A missing one fails `helm install` with its name,
instead of a pod that crash-loops on a config its service refuses.
*/}}
{{- define "mikrotik-kube.validate" -}}
{{- $v := .Values -}}
{{- $missing := list -}}
{{- if or $v.vkProvider.enabled $v.ipam.enabled $v.storageConverter.enabled $v.bootSupervisor.enabled -}}
{{- if not $v.routeros.url -}}
{{- $missing = append $missing "routeros.url (the router's REST API, e.g. https://192.168.88.1/rest)" -}}
{{- end -}}
{{- if not (or $v.routeros.password $v.routeros.existingSecret) -}}
{{- $missing = append $missing "routeros.password or routeros.existingSecret (REST credentials)" -}}
{{- end -}}
{{- end -}}
{{- if and $v.storageConverter.enabled (not $v.storageConverter.fetchPublicUrl) (not $v.storageConverter.fetchHostPort) -}}
{{- $missing = append $missing "storageConverter.fetchPublicUrl or storageConverter.fetchHostPort (where the router fetches tarballs)" -}}
{{- end -}}
{{- if $v.csiController.enabled -}}
{{- if not $v.rds.address -}}
{{- $missing = append $missing "rds.address (the RDS SSH management address)" -}}
{{- end -}}
{{- if not (or $v.rds.sshPrivateKey $v.rds.existingSecret) -}}
{{- $missing = append $missing "rds.sshPrivateKey or rds.existingSecret (the RDS SSH key)" -}}
{{- end -}}
{{- if not (or $v.rds.hostKeys $v.rds.insecureSkipHostKey) -}}
{{- $missing = append $missing "rds.hostKeys (the RDS host key, SHA256:...; or rds.insecureSkipHostKey for tests)" -}}
{{- end -}}
{{- range $v.rds.targets -}}
{{- if not (or .hostKeys .insecureSkipHostKey) -}}
{{- $missing = append $missing (printf "rds.targets[%s].hostKeys (its host key, SHA256:...)" .name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "\nmikrotik-kube: required values are missing:\n  - %s" (join "\n  - " $missing)) -}}
{{- end -}}
{{- end }}
