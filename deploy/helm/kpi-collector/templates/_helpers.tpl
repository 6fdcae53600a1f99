{{- define "kpi-collector.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "kpi-collector.selectorLabels" -}}
app.kubernetes.io/name: kpi-collector
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kpi-collector.labels" -}}
{{ include "kpi-collector.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kpi-collector.planName" -}}
{{- default (printf "%s-plan" (include "kpi-collector.fullname" .)) .Values.existingConfigMap -}}
{{- end -}}

{{- define "kpi-collector.headless" -}}
{{- printf "%s-headless" (include "kpi-collector.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The pod, shared by the Deployment and the StatefulSet. */}}
{{- define "kpi-collector.pod" -}}
metadata:
  labels:
    {{- include "kpi-collector.selectorLabels" . | nindent 4 }}
  annotations:
    checksum/plan: {{ .Values.plan | sha256sum }}
spec:
  serviceAccountName: {{ include "kpi-collector.fullname" . }}
  automountServiceAccountToken: false
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: kpi-collector
      image: "{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}"
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - --config.file=/etc/kpi-collector/config.yml
        - --storage.path=/var/lib/kpi-collector
        {{- if .Values.backup.enabled }}
        - --storage.backup.path=/var/lib/kpi-collector-backups
        - --storage.backup.interval={{ .Values.backup.interval }}
        - --storage.backup.keep={{ .Values.backup.keep }}
        {{- end }}
        {{- if gt (int .Values.shards) 1 }}
        - --shard.count={{ .Values.shards }}
        - --shard.index=-1
        {{- $peers := list }}
        {{- $name := include "kpi-collector.fullname" . }}
        {{- $headless := include "kpi-collector.headless" . }}
        {{- range $i := until (int .Values.shards) }}
        {{- $peers = append $peers (printf "http://%s-%d.%s:%d" $name $i $headless (int $.Values.service.port)) }}
        {{- end }}
        - --shard.peers={{ join "," $peers }}
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . }}
        {{- end }}
      env:
        - name: GOMEMLIMIT
          valueFrom:
            resourceFieldRef: {resource: limits.memory}
      {{- with .Values.existingSecrets }}
      envFrom:
        {{- range . }}
        - secretRef:
            name: {{ . }}
        {{- end }}
      {{- end }}
      ports:
        - name: http
          containerPort: 9469
      livenessProbe:
        httpGet: {path: /-/healthy, port: http}
        periodSeconds: 30
      readinessProbe:
        httpGet: {path: /-/ready, port: http}
        periodSeconds: 10
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: plan
          mountPath: /etc/kpi-collector
          readOnly: true
        - name: data
          mountPath: /var/lib/kpi-collector
        {{- if .Values.backup.enabled }}
        - name: backups
          mountPath: /var/lib/kpi-collector-backups
        {{- end }}
  volumes:
    - name: plan
      configMap:
        name: {{ include "kpi-collector.planName" . }}
    {{- if le (int .Values.shards) 1 }}
    - name: data
      {{- if .Values.persistence.enabled }}
      persistentVolumeClaim:
        claimName: {{ include "kpi-collector.fullname" . }}-data
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- if .Values.backup.enabled }}
    - name: backups
      persistentVolumeClaim:
        claimName: {{ include "kpi-collector.fullname" . }}-backups
    {{- end }}
    {{- end }}
{{- end -}}
