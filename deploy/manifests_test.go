package deploy

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"k8s.io/apimachinery/pkg/api/resource"
)

// docker-compose.yml is valid for the Compose Specification (compose-go, the
// loader docker compose v2 uses) and for Compose v1 (Debian's docker-compose
// 1.29, where installed; CI installs it): every file it mounts exists, every
// service has a healthcheck, dependencies wait for health, ports are bound to
// 127.0.0.1, and Grafana has no default password: without one the file is
// refused.
func TestCompose(t *testing.T) {
	env := map[string]string{"GF_SECURITY_ADMIN_PASSWORD": "a-password-of-the-operator"}
	load := func(env map[string]string) (*types.Project, error) {
		return loader.LoadWithContext(t.Context(), types.ConfigDetails{
			WorkingDir:  ".",
			ConfigFiles: []types.ConfigFile{{Filename: "docker-compose.yml"}},
			Environment: env,
		}, func(o *loader.Options) { o.SetProjectName("kpi-collector", true) })
	}
	p, err := load(env)
	if err != nil {
		t.Fatalf("compose-go: %v", err)
	}
	for _, name := range []string{"kpi-collector", "prometheus", "alertmanager", "grafana"} {
		s, ok := p.Services[name]
		if !ok {
			t.Errorf("no service %s", name)
			continue
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s has no healthcheck", name)
		}
		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s depends on %s without waiting for its health", name, dep)
			}
		}
		for _, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				t.Errorf("%s publishes %s on %q, not 127.0.0.1", name, port.Published, port.HostIP)
			}
		}
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s, which does not exist", name, v.Source)
				}
			}
		}
	}
	if pw := p.Services["grafana"].Environment["GF_SECURITY_ADMIN_PASSWORD"]; pw == nil || *pw != env["GF_SECURITY_ADMIN_PASSWORD"] {
		t.Errorf("Grafana's admin password does not come from the env file: %v", pw)
	}
	if c, want := p.Services["kpi-collector"], resource.MustParse(replicaMemory); c.MemLimit < types.UnitBytes(want.Value()) || c.Environment["GOMEMLIMIT"] != nil {
		t.Errorf("the collector's memory limit is %d bytes, want at least %s and no GOMEMLIMIT of its own (%v)", c.MemLimit, replicaMemory, c.Environment["GOMEMLIMIT"])
	}
	if b := p.Services["kpi-collector"].Build; b == nil || !strings.HasSuffix(b.Context, "/main") && b.Dockerfile != "Dockerfile" {
		t.Errorf("the collector is not built from the project's Dockerfile: %+v", b)
	}
	if _, err := load(map[string]string{}); err == nil || !strings.Contains(err.Error(), "GF_SECURITY_ADMIN_PASSWORD") {
		t.Errorf("without a Grafana password the file must be refused: %v", err)
	}

	dc, err := exec.LookPath("docker-compose")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("docker-compose is not installed; .ci/run installs Debian's docker-compose")
		}
		t.Skip("docker-compose (Compose v1) is not installed")
	}
	cmd := exec.Command(dc, "-f", "docker-compose.yml", "config", "--quiet")
	cmd.Env = append(os.Environ(), "GF_SECURITY_ADMIN_PASSWORD=a-password-of-the-operator")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("docker-compose config: %v\n%s", err, out)
	}
}
