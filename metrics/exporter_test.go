package metrics

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func sampleSnapshot() *snapshot.Snapshot {
	utc := time.UTC
	due := time.Date(2026, 8, 1, 0, 0, 0, 0, utc)
	errs := map[vocab.Reason]float64{}
	for _, r := range vocab.Reasons {
		errs[r] = 0
	}
	ytErrs := map[vocab.Reason]float64{}
	for r, v := range errs {
		ytErrs[r] = v
	}
	ytErrs[vocab.Quota] = 2
	return &snapshot.Snapshot{
		At: time.Date(2026, 7, 16, 12, 0, 0, 0, utc),
		Plan: snapshot.PlanInfo{Name: "acme-2026-h2", Goal: "brand_awareness", Timezone: "UTC",
			Start: "2026-07-01", End: "2026-12-31"},
		KPIs: []snapshot.KPIState{
			{
				KPI: &snapshot.KPI{Name: "youtube_subscribers", Channel: "youtube", Account: "UC1", Metric: "subscribers", Count: vocab.Total},
				Evaluation: plan.Evaluation{
					Status: vocab.Behind, HasValue: true, Value: 1100, LastObservation: time.Date(2026, 7, 16, 6, 0, 0, 0, utc),
					Expected: 1150, HasTarget: true, Target: 1200, Due: due, HasProgress: true, Progress: 1100.0 / 1150,
					HasPace: true, DailyGrowth: 4.5, Forecast: 1170.5, HasRequired: true, RequiredDailyGrowth: 6.25,
				},
			},
			{
				KPI:        &snapshot.KPI{Name: "new_relationships", Channel: "offline", Account: "default", Metric: "relationships", Count: vocab.Growth},
				Evaluation: plan.Evaluation{Status: vocab.NoData, Expected: 2.5, HasTarget: true, Target: 5, Due: due},
			},
		},
		Accounts: snapshot.AccountValues{
			Series: []snapshot.SeriesName{
				{ChannelMetric: &snapshot.ChannelMetric{Channel: "youtube", Metric: "subscribers"}, Account: "UC1"},
				{ChannelMetric: &snapshot.ChannelMetric{Channel: "youtube", Metric: "views"}, Account: "UC1"},
				{ChannelMetric: &snapshot.ChannelMetric{Channel: "youtube", Metric: "subscribers"}, Account: "UCrival"},
				// A series with no value at the snapshot's moment: no sample.
				{ChannelMetric: &snapshot.ChannelMetric{Channel: "youtube", Metric: "views"}, Account: "UCrival"},
			},
			Values: []float64{1100, 98765, 2300, math.NaN()},
		},
		Paces: []snapshot.AccountPace{
			{Channel: "youtube", Account: "UCrival", Metric: "subscribers", DailyGrowth: 7.25},
			{Channel: "youtube", Account: "UC1", Metric: "subscribers", DailyGrowth: 4.5},
		},
		Channels: []snapshot.ChannelState{
			// A credential that never ends has no expiry series; a version
			// whose end is not announced has no end series.
			{
				Name: "facebook", Type: "facebook", Scheduled: true, Ran: true, Success: true, Errors: errs, Interval: 6 * time.Hour,
				Credential:              &snapshot.Credential{Never: true, What: "the access token", Checked: time.Date(2026, 7, 16, 6, 0, 0, 0, utc)},
				CredentialCheckFailures: 1,
				APIVersion:              &snapshot.APIVersion{Version: "v27.0"},
			},
			{
				Name: "linkedin", Type: "linkedin", Scheduled: true, Ran: true, Success: true, Errors: errs, Interval: 12 * time.Hour,
				Credential: &snapshot.Credential{Ends: time.Date(2027, 6, 30, 9, 0, 0, 0, utc), What: "the refresh token", Checked: time.Date(2026, 7, 16, 6, 0, 0, 0, utc)},
				APIVersion: &snapshot.APIVersion{Version: "202610", Ends: time.Date(2027, 10, 1, 0, 0, 0, 0, utc), Source: "a year after the version's month"},
			},
			{Name: "offline", Type: "manual"},
			{
				Name: "youtube", Type: "youtube", Scheduled: true, Ran: true, Success: false,
				LastSuccess: time.Date(2026, 7, 16, 6, 0, 0, 0, utc), Duration: 1500 * time.Millisecond, Interval: 6 * time.Hour,
				Errors: ytErrs, Requests: map[string]float64{"200": 10, "403": 2},
				HasQuota: true, QuotaUsed: 12, QuotaLimit: 10000,
			},
		},
		Reload: snapshot.ReloadState{Success: true, LastSuccess: time.Date(2026, 7, 1, 0, 0, 0, 0, utc)},
	}
}

func TestExporterGolden(t *testing.T) {
	x := NewExporter(sampleSnapshot)
	golden := filepath.Join("testdata", "snapshot.prom")
	if *update {
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(x)
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, mf := range mfs {
			if err := writeText(&b, mf); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(golden)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := testutil.CollectAndCompare(x, f); err != nil {
		t.Error(err)
	}
}

func TestExporterLint(t *testing.T) {
	problems, err := testutil.CollectAndLint(NewExporter(sampleSnapshot))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// The exporter registers cleanly in a pedantic registry: every metric it
// sends matches a descriptor it describes.
func TestExporterPedantic(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewExporter(sampleSnapshot))
	if _, err := reg.Gather(); err != nil {
		t.Fatal(err)
	}
}

func TestExporterBeforeSnapshot(t *testing.T) {
	x := NewExporter(func() *snapshot.Snapshot { return nil })
	if n := testutil.CollectAndCount(x); n != 0 {
		t.Errorf("%d metrics before the first snapshot, want 0", n)
	}
}
