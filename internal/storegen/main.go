// Storegen writes the store kept in store/testdata/stores for a layout
// version: a small store that uses every table (readings over two months,
// days thinned by pruning, a feed's ledger, manual adds, a failed run, quota
// spent, a count the API hides), from the same readings every time.
//
// Run it once, at the release that introduces a layout, and keep what it
// wrote: the file is that release's output, which every later release must
// still open (e2e/layouts_test.go opens each kept store with the current
// binary and compares its report with a golden). Later layouts get a new
// file beside the old ones; an old file is never rewritten.
//
//	go run ./internal/storegen -out store/testdata/stores/layout-2.db
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/kpi-collector/kpi-collector/store"
)

func main() {
	out := flag.String("out", "", "the file to write (must not exist)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "storegen: give -out FILE")
		os.Exit(2)
	}
	if err := write(*out); err != nil {
		fmt.Fprintf(os.Stderr, "storegen: %v\n", err)
		os.Exit(1)
	}
}

// The accounts of store/testdata/stores/plan.yml.
const (
	youtubeAccount = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
	hiddenAccount  = "UCHiddenSubs000000000000"
	feedAccount    = "https://blog.acme.example/feed.xml"
)

// start is the first run; the last is two months later.
var start = time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)

func write(out string) error {
	if _, err := os.Stat(out); err == nil {
		return fmt.Errorf("%s exists: a kept store is never rewritten", out)
	}
	dir, err := os.MkdirTemp("", "storegen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(dir)
	if err != nil {
		return err
	}
	ctx := context.Background()
	end := start.AddDate(0, 2, 0)
	n := 0
	for t := start; t.Before(end); t = t.Add(6 * time.Hour) {
		run := store.Run{Channel: "youtube", Time: t, QuotaDay: t.Format(time.DateOnly), QuotaUnits: 1, Success: true}
		if n == 100 { // a quota error: nothing read
			run.Success, run.Error = false, "quota: the daily quota is spent"
		} else {
			run.Readings = []store.Reading{
				{Account: youtubeAccount, Metric: "subscribers", Value: float64(1000 + 3*n)},
				{Account: youtubeAccount, Metric: "views", Value: float64(200000 + 250*n + n*n)},
				{Account: youtubeAccount, Metric: "videos", Value: float64(40 + n/28)},
				{Account: hiddenAccount, Metric: "views", Value: float64(5000 + 11*n)},
			}
			run.Hidden = []store.Hidden{{Account: hiddenAccount, Metric: "subscribers", Why: "hidden by the account"}}
		}
		if err := st.SaveRun(ctx, run); err != nil {
			return err
		}
		if t.Hour() == 6 { // the feed, read daily: a post every fifth day
			feed := store.Run{Channel: "blog", Time: t, ItemAccounts: []string{feedAccount}, Success: true}
			for d := start.AddDate(0, 0, -10); !d.After(t); d = d.AddDate(0, 0, 5) {
				feed.Items = append(feed.Items, store.Item{Account: feedAccount, ItemID: "post-" + d.Format(time.DateOnly), Published: d.Add(9 * time.Hour)})
			}
			if err := st.SaveRun(ctx, feed); err != nil {
				return err
			}
		}
		if t.Weekday() == time.Friday && t.Hour() == 12 { // a relationship recorded by hand every week
			if _, err := st.Record(ctx, "offline", "default", "relationships", t.Add(5*time.Hour), 1, true); err != nil {
				return err
			}
		}
		n++
	}
	if _, err := st.Prune(ctx, end, 400*24*time.Hour); err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	data, err := os.ReadFile(filepath.Join(dir, store.FileName)) //nolint:gosec // our own temporary folder
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o600)
}
