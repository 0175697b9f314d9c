{{- define "cofre.name" -}}cofre-gateway{{- end -}}
{{- define "cofre.fullname" -}}{{ printf "%s-gateway" .Release.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- define "cofre.labels" -}}
app.kubernetes.io/name: {{ include "cofre.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
{{- define "cofre.selector" -}}
app.kubernetes.io/name: {{ include "cofre.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}
{{- define "cofre.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}
