package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/store"
)

// offlineChannel is a manual channel for fastPlan's extra channels, with a
// KPI-less metric that recordings may still raise (kpis are added below).
const offlineChannel = `  offline:
    type: manual
    credentials: {token: "${E2E_RECORD_TOKEN}"}
`

func recordingPlan(api string) string {
	return strings.Replace(fastPlan(api, offlineChannel), "kpis:\n", "kpis:\n  - {name: relationships, channel: offline, metric: relationships, count: growth, milestones: [{due: 2026-12-31, target: 5000}]}\n", 1)
}

// postAdd records "add 1" over HTTP and reports whether it was acknowledged.
func postAdd(client *http.Client, addr string) (bool, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+addr+"/api/v1/observations",
		strings.NewReader(`{"channel":"offline","metric":"relationships","add":1}`))
	if err != nil {
		return false, err
	}
	req.Header.Set("Authorization", "Bearer "+recordToken)
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return true, nil
}

// storedSeries is the stored readings of offline/relationships, in time order.
func storedSeries(t *testing.T, storage string) []store.Reading {
	t.Helper()
	st, err := store.Open(storage)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs, err := st.Readings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Reading
	for _, r := range rs {
		if r.Channel == "offline" && r.Metric == "relationships" {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out
}

// Every acknowledged add counts exactly once, in any interleaving: 1,000
// simultaneous adds over HTTP and 20 `collector record` processes at once.
func TestConcurrentAddsCountOnce(t *testing.T) {
	const viaHTTP, viaCLI = 1000, 20
	api := fakeapi.New()
	defer api.Close()
	dir := t.TempDir()
	cfg, storage := filepath.Join(dir, "plan.yml"), filepath.Join(dir, "data")
	writePlan(t, cfg, recordingPlan(api.URL))
	d := start(t, cfg, storage)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: viaHTTP}}
	gate := make(chan struct{})
	var wg sync.WaitGroup
	var acked atomic.Int64
	errs := make(chan error, viaHTTP+viaCLI)
	for range viaHTTP {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			ok, err := postAdd(client, d.addr)
			if ok {
				acked.Add(1)
			} else {
				errs <- err
			}
		}()
	}
	for range viaCLI {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			cmd := exec.Command(binary, "record", "--config.file="+cfg, "--storage.path="+storage, "--channel=offline", "--metric=relationships", "--add=1")
			cmd.Env = env()
			if out, err := cmd.CombinedOutput(); err != nil {
				errs <- fmt.Errorf("collector record: %w: %s", err, out)
				return
			}
			acked.Add(1)
		}()
	}
	close(gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a recording was refused: %v", err)
	}
	d.stop(t)

	rs := storedSeries(t, storage)
	if len(rs) == 0 {
		t.Fatal("nothing stored")
	}
	if got := rs[len(rs)-1].Value; got != float64(acked.Load()) || acked.Load() != viaHTTP+viaCLI {
		t.Errorf("the latest reading is %v after %d acknowledged adds of 1 (of %d)", got, acked.Load(), viaHTTP+viaCLI)
	}
	for i := 1; i < len(rs); i++ {
		if rs[i].Value < rs[i-1].Value {
			t.Fatalf("the count went down: %v at %v after %v at %v", rs[i].Value, rs[i].Time, rs[i-1].Value, rs[i-1].Time)
		}
	}
}
