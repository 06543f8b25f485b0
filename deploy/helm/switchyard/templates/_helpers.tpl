{{/* Resource name prefix: <release>-switchyard, unless the release name already contains it. */}}
{{- define "switchyard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "switchyard.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The Valkey URL both sides use: valkey.externalUrl, or the in-chart StatefulSet's service. */}}
{{- define "switchyard.valkeyUrl" -}}
{{- if .Values.valkey.externalUrl -}}
{{- .Values.valkey.externalUrl -}}
{{- else -}}
{{- printf "redis://%s-valkey:6379/0" (include "switchyard.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The one transports entry shared by gateway and services. */}}
{{- define "switchyard.transports" -}}
- type: messaging
  backend: valkey
  valkey:
    url: {{ include "switchyard.valkeyUrl" . | quote }}
  queues:
{{ toYaml .Values.messaging.queues | indent 4 }}
  # Signed frames: the keys come from the frame-keys Secret, mounted in every pod.
  auth:
    gatewayKey: { file: /run/secrets/switchyard/{{ .Values.frameKeys.gatewayKeyName }} }
    instanceKey: { file: /run/secrets/switchyard/{{ .Values.frameKeys.instanceKeyName }} }
{{- end -}}

{{/* The Secret that holds the frame keys: the user's, or the chart's own. */}}
{{- define "switchyard.frameKeysSecret" -}}
{{- if .Values.frameKeys.existingSecret -}}
{{ .Values.frameKeys.existingSecret }}
{{- else -}}
{{ include "switchyard.fullname" . }}-frame-keys
{{- end -}}
{{- end -}}

{{- define "switchyard.image" -}}
{{- printf "%s:%s" .Values.image.repository .Values.image.tag -}}
{{- end -}}
