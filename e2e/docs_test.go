package e2e

import (
	"cmp"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/collectors"
)

// README's table of channel types says what the registry holds: every type,
// and for each its metrics, credentials, batch, default schedule and the
// keys of its own.
func TestREADMETypesTableMatchesTheRegistry(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "### Channel types\n\n| type |")
	if !ok {
		t.Fatal("README has no table under ### Channel types")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := map[string][]string{}
	for _, line := range strings.Split(table, "\n")[2:] {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		rows[strings.Trim(cells[0], "`")] = cells
	}
	types := collectors.Types()
	if got, want := slices.Sorted(func(yield func(string) bool) {
		for k := range rows {
			if !yield(k) {
				return
			}
		}
	}), collectors.Names(); !slices.Equal(got, want) {
		t.Fatalf("README's table lists %v, the registry %v", got, want)
	}
	for name, cells := range rows {
		spec := types[name]
		if len(cells) != 7 {
			t.Errorf("%s: %d cells", name, len(cells))
			continue
		}
		for _, m := range spec.Metrics {
			if !strings.Contains(cells[2], "`"+m+"`") {
				t.Errorf("%s: README's metrics %q lack %s", name, cells[2], m)
			}
		}
		for _, c := range append(slices.Clone(spec.Credentials), spec.OptionalCredentials...) {
			if !strings.Contains(cells[3], "`"+c+"`") {
				t.Errorf("%s: README's credentials %q lack %s", name, cells[3], c)
			}
		}
		if spec.Batch > 0 && cells[4] != fmt.Sprint(spec.Batch) {
			t.Errorf("%s: README says batch %s, the registry %d", name, cells[4], spec.Batch)
		}
		if spec.DefaultSchedule != "" && cells[5] != "`"+spec.DefaultSchedule+"`" {
			t.Errorf("%s: README says schedule %s, the registry %s", name, cells[5], spec.DefaultSchedule)
		}
		keys := make([]string, 0, len(spec.Keys()))
		for _, k := range spec.Keys() {
			keys = append(keys, "`"+k+"`")
		}
		if want := cmp.Or(strings.Join(keys, ", "), "—"); cells[6] != want {
			t.Errorf("%s: README says the keys of its own are %s, the registry %s", name, cells[6], want)
		}
	}
}
