package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every shipped dashboard type-checks against Grafana's published schema
// (@grafana/schema, pinned in grafana/schema-check/package-lock.json) with
// the TypeScript compiler. JSON holds the values of the schema's enums, so
// the check maps each enum to the union of its values; unknown properties and
// wrong types are errors. Runs where npm is installed (CI has it).
func TestDashboardsTypeCheckWithGrafanaSchema(t *testing.T) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("npm is not installed; CI machines have Node.js and npm")
		}
		t.Skip("npm is not installed")
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "package-lock.json", "tsconfig.json"} {
		data, err := os.ReadFile(filepath.Join("grafana", "schema-check", f))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, f, string(data))
	}
	if err := os.Mkdir(filepath.Join(dir, "build"), 0o700); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join("grafana", "dashboards", "*.json"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ts := "import type { Dashboard } from '@grafana/schema';\n" +
			"type Values<T> = T extends string ? `${T}` : T extends object ? { [K in keyof T]: Values<T[K]> } : T;\n" +
			"export const dashboard: Values<Dashboard> = " + string(data) + ";\n"
		writeFile(t, filepath.Join(dir, "build"), strings.TrimSuffix(filepath.Base(f), ".json")+".ts", ts)
	}
	install := exec.Command(npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm ci: %v\n%s", err, out)
	}
	tsc := exec.Command(filepath.Join(dir, "node_modules", ".bin", "tsc"), "-p", ".")
	tsc.Dir = dir
	if out, err := tsc.CombinedOutput(); err != nil {
		t.Errorf("the dashboards do not type-check against @grafana/schema: %v\n%s", err, out)
	}
}
