package config_test

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
)

// loadBothWays loads data read whole and read piecewise, fails t unless both
// give the same config or the same problems, and returns what they give.
func loadBothWays(t testing.TB, file string, data []byte) (*config.Config, error) {
	t.Helper()
	restore := config.ReadPiecewise(false)
	whole, wholeErr := config.Load(file, data, collectors.Types())
	restore()
	restore = config.ReadPiecewise(true)
	pieces, piecesErr := config.Load(file, data, collectors.Types())
	restore()
	if !reflect.DeepEqual(sortedProblems(wholeErr), sortedProblems(piecesErr)) {
		t.Fatalf("read whole:\n%v\nread piecewise:\n%v", wholeErr, piecesErr)
	}
	if (whole == nil) != (pieces == nil) || whole != nil && !reflect.DeepEqual(comparable(whole), comparable(pieces)) {
		t.Fatalf("the config read whole and the config read piecewise differ:\n%+v\n%+v", whole, pieces)
	}
	return whole, wholeErr
}

// comparable is a config without its time zone, which time.LoadLocation
// gives anew (and caches into) each time.
func comparable(c *config.Config) config.Config {
	copied := *c
	copied.Plan.Location = nil
	return copied
}

func sortedProblems(err error) []string {
	if err == nil {
		return nil
	}
	var ps config.Problems
	if !errors.As(err, &ps) {
		return []string{err.Error()}
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.Error())
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Compare(a, b) })
	return out
}

// A large plan's kpis list is read a piece at a time (a 10 MB plan's whole
// node tree is about 300 MB); the file reads the same either way, problems
// and their lines included, whatever its shape.
func TestPiecewiseReadsAsWhole(t *testing.T) {
	setEnv(t)
	good, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	g := string(good)
	many := func(n int, item string) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, item, i, i+1)
		}
		return b.String()
	}
	head := "plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  b: {type: bluesky, accounts: [a.b, c.d]}\n"
	item := "  - {name: k%d, channel: b, account: a.b, metric: followers, milestones: [{due: 2026-08-31, target: %d}]}\n"
	tests := []struct {
		name      string
		yml       string
		piecewise bool // whether the list can be read in pieces
	}{
		{"the test plan", g, true},
		{"a bad KPI in the third piece", strings.Replace(g, "    channel: youtube", "    channel: yt", 1), true},
		{"a list at the margin", head + "kpis:\n" + strings.ReplaceAll(many(7, item), "  - {", "- {"), true},
		{"comments and blank lines between items", head + "kpis:\n  # the first\n\n" + strings.ReplaceAll(many(5, item), "\n", "\n\n# between\n"), true},
		{"kpis before channels", "kpis:\n" + many(5, item) + head, true},
		{"a second kpis key", head + "kpis:\n" + many(3, item) + "kpis:\n" + many(3, item), false},
		{"an anchor used in another piece", head + "kpis:\n  - &first {name: k, channel: b, account: a.b, metric: followers, milestones: [{due: 2026-08-31, target: 1}]}\n" + many(3, item) + "  - *first\n", false},
		{"an anchor from the rest", "x: &m [{due: 2026-08-31, target: 1}]\n" + head + "kpis:\n" + many(4, "  - {name: k%d, channel: b, account: a.b, metric: followers, milestones: *m} # %d\n"), false},
		{"an item split inside a quoted text", head + "kpis:\n  - {name: \"a\n  - b\", channel: b, account: a.b, metric: followers, milestones: [{due: 2026-08-31, target: 1}]}\n" + many(4, item), false},
		{"kpis: inside a quoted text", "note: \"x\nkpis:\n  - y\n  - z\"\n" + head + "kpis: []\n", false},
		{"a flow list", head + "kpis: [" + strings.ReplaceAll(strings.TrimSuffix(many(4, item), "\n"), "\n  - ", ",\n  ")[4:] + "]\n", false},
		{"a list that starts with no item", head + "kpis:\n  name: x\n", false},
		{"an item that is not a mapping", head + "kpis:\n" + many(3, item) + "  - just text\n  -\n", true},
		{"a syntax error in a piece", head + "kpis:\n" + many(3, item) + "  - {name: [\n" + many(2, item), false},
		{"an unset variable in a piece", head + "kpis:\n" + many(3, item) + "  - name: ${KPI_TEST_UNSET_VARIABLE}\n    channel: b\n    account: a.b\n    metric: followers\n    milestones: [{due: 2026-08-31, target: 1}]\n", true},
		{"an unknown key in a piece", head + "kpis:\n" + many(3, item) + "  - {nme: x, channel: b, account: a.b, metric: followers, milestones: [{due: 2026-08-31, target: 1}]}\n", true},
		{"a wrong type in a piece", head + "kpis:\n" + many(3, item) + "  - {name: x, channel: b, account: a.b, metric: followers, milestones: [{due: 2026-08-31, target: lots}]}\n", true},
		{"every account", head + "kpis:\n" + many(3, item) + "  - {name: all, channel: b, account: '*', metric: followers, milestones: [{due: 2026-08-31, target: 1}]}\n", true},
		{"a second document", head + "kpis:\n" + many(3, item) + "---\nplan: {}\n", false},
		{"a # without a space before it is text, not a comment", "kpis:#000\n -", false},
		{"windows line ends", strings.ReplaceAll(head+"kpis:\n"+many(3, item), "\n", "\r\n"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loadBothWays(t, "testdata/pieces.yml", []byte(tt.yml))
			if got := config.ReadsPiecewise("testdata/pieces.yml", []byte(tt.yml), collectors.Types()); got != tt.piecewise {
				t.Errorf("read piecewise: %v, want %v", got, tt.piecewise)
			}
		})
	}
}

// A plan over the size that is read piecewise (1 MiB) loads as it does read
// whole, with the pieces' default size and parallel parsing.
func TestLargePlanReadsAsWhole(t *testing.T) {
	var b strings.Builder
	b.WriteString("plan: {name: p, goal: seo, start: 2026-07-01, end: 2026-12-31}\nchannels:\n  b:\n    type: bluesky\n    accounts:\n")
	const n = 12_000
	for i := range n {
		fmt.Fprintf(&b, "      - a%d.example\n", i)
	}
	b.WriteString("kpis:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {name: k%d, channel: b, account: a%d.example, metric: followers, milestones: [{due: 2026-08-31, target: %d}, {due: 2026-12-31, target: %d}]}\n", i, i, i+1, 2*i+2)
	}
	data := []byte(b.String())
	if len(data) <= 1<<20 {
		t.Fatalf("the plan is %d bytes, not over 1 MiB", len(data))
	}
	if !config.ReadsPiecewise("large.yml", data, collectors.Types()) {
		t.Fatal("a large plan of plain shape is not read piecewise")
	}
	pieces, err := config.Load("large.yml", data, collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	restore := config.ReadPiecewise(false)
	whole, err := config.Load("large.yml", data, collectors.Types())
	restore()
	if err != nil {
		t.Fatal(err)
	}
	if len(pieces.KPIs) != n || !reflect.DeepEqual(comparable(pieces), comparable(whole)) {
		t.Fatalf("%d KPIs read piecewise; the config differs from the one read whole", len(pieces.KPIs))
	}
	if got := pieces.KPIs[n-1].Milestones[1].Line; got != 2*n+6 {
		t.Errorf("the last KPI's second target is at line %d, want %d", got, 2*n+6)
	}
}
