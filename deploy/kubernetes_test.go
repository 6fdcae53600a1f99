package deploy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"go.yaml.in/yaml/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
)

// rendered is every object of a kustomization, as kustomize builds it,
// decoded strictly into its typed struct.
type rendered struct {
	namespaces      []corev1.Namespace
	serviceAccounts []corev1.ServiceAccount
	configMaps      []corev1.ConfigMap
	secrets         []corev1.Secret
	services        []corev1.Service
	pvcs            []corev1.PersistentVolumeClaim
	deployments     []appsv1.Deployment
	statefulSets    []appsv1.StatefulSet
	networkPolicies []networkingv1.NetworkPolicy
	serviceMonitors []monitoringv1.ServiceMonitor
	prometheusRules []monitoringv1.PrometheusRule
}

// kustomize renders dir with kubectl's kustomize (the real tool: its load
// restrictor refuses files outside the kustomization's tree) and decodes
// every object strictly: an unknown field or kind is an error.
func kustomize(t *testing.T, dir string) rendered {
	t.Helper()
	kubectl := need(t, "kubectl")
	out, err := exec.Command(kubectl, "kustomize", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, out)
	}
	return decodeObjects(t, dir, out)
}

func decodeObjects(t *testing.T, what string, out []byte) rendered {
	t.Helper()
	var r rendered
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if doc == nil {
			continue
		}
		raw, err := yaml.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		kind, _ := doc["kind"].(string)
		var into any
		switch kind {
		case "Namespace":
			into = appendTo(&r.namespaces)
		case "ServiceAccount":
			into = appendTo(&r.serviceAccounts)
		case "ConfigMap":
			into = appendTo(&r.configMaps)
		case "Secret":
			into = appendTo(&r.secrets)
		case "Service":
			into = appendTo(&r.services)
		case "PersistentVolumeClaim":
			into = appendTo(&r.pvcs)
		case "Deployment":
			into = appendTo(&r.deployments)
		case "StatefulSet":
			into = appendTo(&r.statefulSets)
		case "NetworkPolicy":
			into = appendTo(&r.networkPolicies)
		case "ServiceMonitor":
			into = appendTo(&r.serviceMonitors)
		case "PrometheusRule":
			into = appendTo(&r.prometheusRules)
		default:
			t.Errorf("%s: an object of kind %q that this test does not know", what, kind)
			continue
		}
		if err := sigsyaml.UnmarshalStrict(raw, into); err != nil {
			t.Errorf("%s: %s %v: %v", what, kind, doc["metadata"], err)
		}
	}
	return r
}

// appendTo grows a slice by one element and returns a pointer to it.
func appendTo[T any](s *[]T) *T {
	var zero T
	*s = append(*s, zero)
	return &(*s)[len(*s)-1]
}

// Every kustomization builds with kustomize itself, and every object it
// renders is a valid object of its type; the pods run as the project
// wants them to.
func TestKustomizations(t *testing.T) {
	for _, dir := range []string{"kubernetes", filepath.Join("kubernetes", "sharded")} {
		t.Run(dir, func(t *testing.T) {
			r := kustomize(t, dir)
			checkInstall(t, r, 1)
			var pod corev1.PodSpec
			switch {
			case len(r.deployments) == 1 && len(r.statefulSets) == 0:
				pod = r.deployments[0].Spec.Template.Spec
				checkClaims(t, pod, r.pvcs)
			case len(r.statefulSets) == 1 && len(r.deployments) == 0:
				sts := r.statefulSets[0]
				pod = sts.Spec.Template.Spec
				checkSharded(t, r, sts)
				checkClaims(t, pod, sts.Spec.VolumeClaimTemplates)
			default:
				t.Fatalf("%d Deployments and %d StatefulSets", len(r.deployments), len(r.statefulSets))
			}
			checkPod(t, pod, true)
		})
	}
}

// The Component that labels the ServiceMonitor and PrometheusRule for
// kube-prometheus-stack's selector works in an overlay.
func TestPrometheusReleaseComponent(t *testing.T) {
	dir := t.TempDir()
	abs, err := filepath.Abs("kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	// An overlay of the user's own, beside a copy of the tree (kustomize
	// loads only what lies under the overlay's root).
	if out, err := exec.Command("cp", "-r", abs, filepath.Join(dir, "kubernetes")).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	writeFile(t, filepath.Join(dir, "kubernetes"), "kustomization.yaml", "resources: [base, pvc.yaml, deployment.yaml]\ncomponents: [components/prometheus-release]\n")
	r := kustomize(t, filepath.Join(dir, "kubernetes"))
	for _, sm := range r.serviceMonitors {
		if sm.Labels["release"] != "kube-prometheus-stack" {
			t.Errorf("ServiceMonitor labels %v", sm.Labels)
		}
	}
	for _, pr := range r.prometheusRules {
		if pr.Labels["release"] != "kube-prometheus-stack" {
			t.Errorf("PrometheusRule labels %v", pr.Labels)
		}
	}
}

// checkInstall checks what every install has; Helm makes no Namespace (the
// release's is given) and kustomize one.
func checkInstall(t *testing.T, r rendered, namespaces int) {
	t.Helper()
	if len(r.namespaces) != namespaces || len(r.serviceMonitors) != 1 || len(r.prometheusRules) != 1 || len(r.networkPolicies) != 1 || len(r.configMaps) != 1 {
		t.Errorf("want one Namespace, ServiceMonitor, PrometheusRule, NetworkPolicy and ConfigMap: %d %d %d %d %d",
			len(r.namespaces), len(r.serviceMonitors), len(r.prometheusRules), len(r.networkPolicies), len(r.configMaps))
	}
	// No shipped manifest holds a usable secret.
	for _, s := range r.secrets {
		for k, v := range s.Data {
			if len(v) > 0 {
				t.Errorf("Secret %s ships a value for %s", s.Name, k)
			}
		}
		for k, v := range s.StringData {
			if v != "" {
				t.Errorf("Secret %s ships a value for %s", s.Name, k)
			}
		}
	}
	// The plan the ConfigMap carries is valid.
	t.Setenv("KPI_RECORD_TOKEN", "a-real-token-of-the-operator")
	for _, cm := range r.configMaps {
		if _, err := config.Load("config.yml", []byte(cm.Data["config.yml"]), collectors.Types()); err != nil {
			t.Errorf("the plan in ConfigMap %s: %v", cm.Name, err)
		}
	}
	// Only Prometheus, recording clients and the replicas reach the port.
	np := r.networkPolicies[0]
	if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) || len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) != 3 {
		t.Errorf("NetworkPolicy: %+v", np.Spec)
	}
	for _, sa := range r.serviceAccounts {
		if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
			t.Errorf("ServiceAccount %s mounts its token", sa.Name)
		}
	}
}

// checkPod checks the pod's hardening; secrets says whether the
// credentials come from a Secret.
func checkPod(t *testing.T, pod corev1.PodSpec, secrets bool) {
	t.Helper()
	c := pod.Containers[0]
	checks := map[string]bool{
		"runAsNonRoot":              pod.SecurityContext != nil && pod.SecurityContext.RunAsNonRoot != nil && *pod.SecurityContext.RunAsNonRoot,
		"no service account token":  pod.AutomountServiceAccountToken != nil && !*pod.AutomountServiceAccountToken,
		"readOnlyRootFilesystem":    c.SecurityContext != nil && c.SecurityContext.ReadOnlyRootFilesystem != nil && *c.SecurityContext.ReadOnlyRootFilesystem,
		"no privilege escalation":   c.SecurityContext != nil && c.SecurityContext.AllowPrivilegeEscalation != nil && !*c.SecurityContext.AllowPrivilegeEscalation,
		"liveness on /-/healthy":    c.LivenessProbe != nil && c.LivenessProbe.HTTPGet != nil && c.LivenessProbe.HTTPGet.Path == "/-/healthy",
		"readiness on /-/ready":     c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil && c.ReadinessProbe.HTTPGet.Path == "/-/ready",
		"memory limit":              !c.Resources.Limits.Memory().IsZero(),
		"listens on 9469":           len(c.Ports) > 0 && c.Ports[0].ContainerPort == 9469,
		"the plan from the config":  strings.Contains(strings.Join(c.Args, " "), "--config.file=/etc/kpi-collector/config.yml"),
		"the store on its volume":   slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool { return m.MountPath == "/var/lib/kpi-collector" }),
		"credentials from a Secret": !secrets || len(c.EnvFrom) == 1 && c.EnvFrom[0].SecretRef != nil,
		"backups on a second volume": strings.Contains(strings.Join(c.Args, " "), "--storage.backup.path=/var/lib/kpi-collector-backups") &&
			slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
				return m.MountPath == "/var/lib/kpi-collector-backups" && m.Name != "data" && !m.ReadOnly
			}),
	}
	for name, ok := range checks {
		if !ok {
			t.Errorf("pod: %s is not so", name)
		}
	}
}

func checkSharded(t *testing.T, r rendered, sts appsv1.StatefulSet) {
	t.Helper()
	args := strings.Join(sts.Spec.Template.Spec.Containers[0].Args, " ")
	replicas := *sts.Spec.Replicas
	if !strings.Contains(args, fmt.Sprintf("--shard.count=%d", replicas)) || !strings.Contains(args, "--shard.index=-1") {
		t.Errorf("args %q do not shard by ordinal over %d replicas", args, replicas)
	}
	var peers []string
	for _, a := range sts.Spec.Template.Spec.Containers[0].Args {
		if p, ok := strings.CutPrefix(a, "--shard.peers="); ok {
			peers = strings.Split(p, ",")
		}
	}
	if len(peers) != int(replicas) {
		t.Errorf("--shard.peers lists %d replicas, want %d", len(peers), replicas)
	}
	var governing *corev1.Service
	for i := range r.services {
		if r.services[i].Name == sts.Spec.ServiceName {
			governing = &r.services[i]
		}
	}
	if governing == nil || governing.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("the StatefulSet's serviceName %q is not a headless Service", sts.Spec.ServiceName)
	}
	for i, p := range peers {
		if want := fmt.Sprintf("http://%s-%d.%s:9469", sts.Name, i, sts.Spec.ServiceName); p != want {
			t.Errorf("peer %d is %q, want %q", i, p, want)
		}
	}
	if len(sts.Spec.VolumeClaimTemplates) == 0 || sts.Spec.VolumeClaimTemplates[0].Name != "data" {
		t.Error("each replica needs its own store volume")
	}
}

// checkClaims checks that the store and its backups each live on a
// PersistentVolumeClaim of their own: claims are the install's PVCs (a
// Deployment's volumes name them) or its StatefulSet's claim templates
// (mounted by their own names).
func checkClaims(t *testing.T, pod corev1.PodSpec, claims []corev1.PersistentVolumeClaim) {
	t.Helper()
	if len(claims) != 2 {
		t.Fatalf("%d PersistentVolumeClaims, want two: the store's and the backups'", len(claims))
	}
	isClaim := map[string]bool{}
	for _, c := range claims {
		isClaim[c.Name] = true
	}
	claimOf := func(volume string) string {
		for _, v := range pod.Volumes {
			if v.Name == volume && v.PersistentVolumeClaim != nil {
				return v.PersistentVolumeClaim.ClaimName
			}
		}
		return volume // a claim template's
	}
	data, backups := claimOf("data"), claimOf("backups")
	if !isClaim[data] || !isClaim[backups] || data == backups {
		t.Errorf("the store's volume is on claim %q and the backups' on %q; want two of %v", data, backups, claims)
	}
}
