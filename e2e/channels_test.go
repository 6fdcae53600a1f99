package e2e

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/store"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares, for each channel type, the exporter's series of the given
// names on that type's channels with the golden file kept beside the type's
// fake: internal/fakeapi/testdata/<type>/<file>, in which the fake's address
// is written FAKEAPI.
func golden(t *testing.T, e *engine.Engine, apiURL, file string, names ...string) {
	t.Helper()
	all, err := testutil.CollectAndFormat(metrics.NewExporter(e.Snapshot), expfmt.TypeTextPlain, names...)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(all), apiURL, "FAKEAPI")
	for _, f := range fakeapi.Fakes() {
		got := seriesOf(text, slices.Sorted(maps.Keys(f.Channels)))
		path := filepath.Join("..", "internal", "fakeapi", "testdata", f.Type, file)
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s: the series of %v differ from %s:\n got:\n%s\nwant:\n%s", f.Type, slices.Sorted(maps.Keys(f.Channels)), path, got, want)
		}
	}
}

// seriesOf keeps the samples of an exposition whose channel label is one of
// channels, with the HELP and TYPE lines of their families.
func seriesOf(text string, channels []string) string {
	var out, family []string
	kept := false
	flush := func() {
		if kept {
			out = append(out, family...)
		}
		family, kept = nil, false
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.HasPrefix(line, "# HELP ") {
			flush()
		}
		if strings.HasPrefix(line, "#") {
			family = append(family, line)
			continue
		}
		for _, c := range channels {
			if strings.Contains(line, `channel="`+c+`"`) {
				family = append(family, line)
				kept = true
			}
		}
	}
	flush()
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "\n") + "\n"
}

// Every registered channel type has a fake that registers it.
func TestEveryTypeHasAFake(t *testing.T) {
	var faked []string
	for _, f := range fakeapi.Fakes() {
		faked = append(faked, f.Type)
	}
	if want := collectors.Names(); !slices.Equal(faked, want) {
		t.Errorf("fakes for %v, channel types %v", faked, want)
	}
}

// A plan naming every channel type collects every value from the fakes in
// one run, at the calls each fake expects; then every API fails in its
// documented way and each failure shows by its reason, with the values kept.
func TestEveryChannelType(t *testing.T) {
	api := fakeapi.New()
	defer api.Close()
	cfg, err := config.Load("every-channel.yml", []byte(fakeapi.Plan(api.URL)), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	e := collectedEngine(t, cfg)
	calls, fail := map[fakeapi.API]int{}, map[fakeapi.API]string{}
	var secrets []string
	for _, f := range fakeapi.Fakes() {
		for a, n := range f.Calls {
			calls[a] += n
		}
		maps.Copy(fail, f.Fail)
		for _, ch := range cfg.Channels {
			if ch.Type == f.Type {
				secrets = append(secrets, ch.Credentials.Values()...)
			}
		}
	}
	for a, want := range calls {
		if got := api.Calls(a); got != want {
			t.Errorf("%s: %d calls, want %d", a, got, want)
		}
	}
	golden(t, e, api.URL, "e2e_values.prom", "kpi_account_value", "kpi_value", "kpi_status", "kpi_collection_success", "kpi_api_requests_total")

	for a, mode := range fail {
		api.Fail(a, mode)
	}
	e.SetClock(func() time.Time { return time.Date(2026, 9, 1, 13, 0, 0, 0, time.UTC) })
	for _, rep := range e.RunAll(context.Background()) {
		if rep.OK() {
			t.Errorf("%s did not fail", rep.Channel)
		}
		for _, err := range rep.Errors {
			for _, secret := range secrets {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("an error shows a secret: %s", err)
				}
			}
		}
	}
	// The values stay as they were; the failures show by reason.
	golden(t, e, api.URL, "e2e_values_after_failure.prom", "kpi_account_value", "kpi_value")
	golden(t, e, api.URL, "e2e_errors.prom", "kpi_collection_errors_total", "kpi_collection_success")

	// Then only the APIs that list posts fail, each its documented way: a
	// type's engagement fails alone (its follower counts are read again),
	// and its engagement values stay as they were.
	for a := range fail {
		api.Fail(a, "")
	}
	posts := map[fakeapi.API]string{}
	for _, f := range fakeapi.Fakes() {
		maps.Copy(posts, f.FailPosts)
	}
	for a, mode := range posts {
		api.Fail(a, mode)
	}
	e.SetClock(func() time.Time { return time.Date(2026, 9, 1, 14, 0, 0, 0, time.UTC) })
	e.RunAll(context.Background())
	golden(t, e, api.URL, "e2e_errors_posts.prom", "kpi_collection_errors_total", "kpi_collection_success")
	golden(t, e, api.URL, "e2e_values_after_posts_failure.prom", "kpi_account_value")
}

// collectedEngine is an in-process engine over a new store, its clock on
// 1 September 2026, after one run of every channel (each must succeed).
func collectedEngine(t *testing.T, cfg *config.Config) *engine.Engine {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := engine.New(st, cfg, collectors.Types(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	e.SetClock(func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC) })
	if err := e.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, rep := range e.RunAll(context.Background()) {
		if !rep.OK() {
			t.Errorf("%s failed: %v", rep.Channel, rep.Errors)
		}
	}
	return e
}
