package deploy

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"go.yaml.in/yaml/v3"
)

// The Dockerfile, read by BuildKit's own parser: the build stage runs on the
// builder's platform and cross-compiles for TARGETOS/TARGETARCH (no
// emulation for arm64), and the image carries the OCI labels and a
// healthcheck that needs no shell.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ast, err := parser.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want build and image", len(stages))
	}
	build, image := stages[0], stages[1]
	if build.Platform != "$BUILDPLATFORM" {
		t.Errorf("the build stage's platform is %q, want $BUILDPLATFORM", build.Platform)
	}
	var args []string
	var run string
	for _, c := range build.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				args = append(args, a.Key)
			}
		case *instructions.RunCommand:
			run += strings.Join(c.CmdLine, " ")
		}
	}
	for _, a := range []string{"TARGETOS", "TARGETARCH"} {
		if !slices.Contains(args, a) || !strings.Contains(run, "${"+a) {
			t.Errorf("the build stage does not build for %s", a)
		}
	}
	labels := map[string]bool{}
	healthcheck := false
	for _, c := range image.Commands {
		switch c := c.(type) {
		case *instructions.LabelCommand:
			for _, l := range c.Labels {
				labels[l.Key] = true
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				if kv.Key == "GOMEMLIMIT" {
					t.Errorf("the image sets GOMEMLIMIT=%s: it would win over the limit the collector sets from the container's", kv.Value)
				}
			}
		case *instructions.HealthCheckCommand:
			healthcheck = len(c.Health.Test) > 1 && c.Health.Test[0] == "CMD" && strings.HasSuffix(c.Health.Test[1], "/collector")
		}
	}
	for _, l := range []string{"title", "description", "url", "source", "documentation", "vendor", "version", "revision", "created"} {
		if !labels["org.opencontainers.image."+l] {
			t.Errorf("the image has no label org.opencontainers.image.%s", l)
		}
	}
	if !healthcheck {
		t.Error("the image has no HEALTHCHECK that runs the collector itself")
	}

	// GoReleaser labels its images the same way.
	data, err := os.ReadFile("../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Dockers []struct {
			BuildFlags []string `yaml:"build_flag_templates"`
		} `yaml:"dockers"`
	}
	if err := yaml.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	for _, d := range g.Dockers {
		flags := strings.Join(d.BuildFlags, " ")
		for _, l := range []string{"title", "version", "revision", "created", "source"} {
			if !strings.Contains(flags, "--label=org.opencontainers.image."+l+"=") {
				t.Errorf("goreleaser's image has no label org.opencontainers.image.%s", l)
			}
		}
	}
}
