package e2e

import (
	"maps"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

const module = "github.com/kpi-collector/kpi-collector/"

// goList runs go list with a template over a package of the module.
func goList(t *testing.T, format, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", format, module+pkg).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	var own []string
	for _, p := range strings.Fields(string(out)) {
		if rest, ok := strings.CutPrefix(p, module); ok && rest != pkg {
			own = append(own, rest)
		}
	}
	return own
}

// Data flows one way (schedule → collector → store → plan → snapshot →
// metrics, web): the packages at the start of the flow depend, through
// anything, on none at its end; the shared words (vocab), the plan
// arithmetic, redaction and the series map depend on nothing of the module;
// and what shows the snapshot imports neither the collectors nor the store.
func TestImportRules(t *testing.T) {
	downstream := []string{"engine", "snapshot", "metrics", "web", "report", "peers", "chart", "digest"}
	for _, pkg := range []string{"plan", "collectors", "store", "config", "vocab", "internal/redact"} {
		for _, dep := range goList(t, `{{join .Deps " "}}`, pkg) {
			if slices.Contains(downstream, dep) {
				t.Errorf("%s depends on %s", pkg, dep)
			}
		}
	}
	// The store keeps its series ids in a series map, a leaf like vocab.
	leaves := map[string][]string{
		"vocab": {"vocab"}, "plan": {"vocab"}, "internal/redact": {"vocab"}, "internal/seriesmap": {"vocab"}, "internal/gzipsplice": nil,
		"store": {"vocab", "internal/seriesmap"}, "internal/idempotency": nil,
		// Backups read the store and nothing after it in the flow.
		"backup": {"store", "vocab", "internal/seriesmap"},
	}
	for _, leaf := range slices.Sorted(maps.Keys(leaves)) {
		for _, dep := range goList(t, `{{join .Deps " "}}`, leaf) {
			if !slices.Contains(leaves[leaf], dep) {
				t.Errorf("%s depends on %s; it should depend on nothing of the module but %s", leaf, dep, strings.Join(leaves[leaf], " and "))
			}
		}
	}
	// What shows the snapshot depends, through anything, on the snapshot
	// and the words it is written in (and two leaves: the gzip splicer and
	// the recording API's idempotency keys; and the drawing of charts), and
	// nothing else of the module: not the engine, the collectors, the store
	// or the config.
	shows := []string{"snapshot", "plan", "vocab", "report", "peers", "internal/gzipsplice", "internal/idempotency", "chart"}
	for _, pkg := range []string{"snapshot", "metrics", "web", "report", "peers", "chart"} {
		for _, dep := range goList(t, `{{join .Deps " "}}`, pkg) {
			if !slices.Contains(shows, dep) {
				t.Errorf("%s depends on %s; it should read the snapshot only", pkg, dep)
			}
		}
	}
	// Digests read the snapshot as the report does, and the config for
	// their destinations; the store's records come through an interface
	// the daemon fills: never the engine, the collectors or the store.
	digestMay := append(slices.Clone(shows), "config", "internal/redact")
	for _, dep := range goList(t, `{{join .Deps " "}}`, "digest") {
		if !slices.Contains(digestMay, dep) {
			t.Errorf("digest depends on %s; it should read the snapshot and the config only", dep)
		}
	}
}

// The config holds what the file says and what it resolves to, in the shared
// words (vocab), never the plan arithmetic's own types: the engine builds
// those. A field of a type from package plan anywhere in config.Config fails.
func TestConfigStoresNoPlanTypes(t *testing.T) {
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type, string)
	walk = func(ty reflect.Type, path string) {
		if seen[ty] {
			return
		}
		seen[ty] = true
		if ty.PkgPath() == module+"plan" {
			t.Errorf("config.%s is of type %s from package plan", path, ty)
		}
		switch ty.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(ty.Elem(), path)
		case reflect.Map:
			walk(ty.Key(), path)
			walk(ty.Elem(), path)
		case reflect.Struct:
			for i := range ty.NumField() {
				f := ty.Field(i)
				walk(f.Type, path+"."+f.Name)
			}
		}
	}
	walk(reflect.TypeFor[config.Config](), "Config")
}
