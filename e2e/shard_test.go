package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/metrics"
	"github.com/kpi-collector/kpi-collector/report"
)

func shardPlan(api string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "plan: {name: shards, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}\nchannels:\n")
	fmt.Fprintf(&b, "  youtube: {type: youtube, api_url: %s, credentials: {api_key: %s}, accounts: [", api, fakeapi.YouTubeKey)
	for i := 1; i <= 120; i++ {
		fmt.Fprintf(&b, "UCgen%d,", i)
	}
	fmt.Fprintf(&b, "]}\n  bluesky: {type: bluesky, api_url: %s, accounts: [", api)
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "gen%d.bsky.social,", i)
	}
	b.WriteString("]}\nkpis:\n")
	for i := 1; i <= 120; i++ {
		fmt.Fprintf(&b, "  - {name: yt%d, channel: youtube, account: UCgen%d, metric: views, milestones: [{due: 2026-12-31, target: 500}]}\n", i, i)
	}
	for i := 1; i <= 60; i++ {
		fmt.Fprintf(&b, "  - {name: bs%d, channel: bluesky, account: gen%d.bsky.social, metric: followers, milestones: [{due: 2026-12-31, target: 50}]}\n", i, i)
	}
	return b.String()
}

// exported collects a config's series and returns the KPI and account lines
// of its exposition. A channel's own series (its runs, its API's calls and
// version, its credential) come from every replica that reads it.
func exported(t *testing.T, cfg *config.Config) []string {
	r, err := metrics.Render(collectedEngine(t, cfg).Snapshot())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(r.Text()), "\n") {
		if strings.HasPrefix(line, "kpi_") && !strings.HasPrefix(line, "kpi_collection_") && !strings.HasPrefix(line, "kpi_api_") &&
			!strings.HasPrefix(line, "kpi_credential_") && !strings.HasPrefix(line, "kpi_config_") && !strings.HasPrefix(line, "kpi_last_observation") {
			out = append(out, line)
		}
	}
	return out
}

// Three shards of one config export, together, exactly what one unsharded
// daemon exports; plan-level series come from shard 0 alone.
func TestShardsTogetherEqualOne(t *testing.T) {
	api := fakeapi.New()
	defer api.Close()
	cfg, err := config.Load("shards.yml", []byte(shardPlan(api.URL)), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	whole := exported(t, cfg)
	var union []string
	sizes := make([]int, 3)
	for i := range 3 {
		part := exported(t, cfg.Shard(3, i))
		for _, l := range part {
			if strings.HasPrefix(l, "kpi_plan_info") && i != 0 {
				t.Errorf("shard %d exports the plan: %s", i, l)
			}
		}
		sizes[i] = len(part)
		union = append(union, part...)
	}
	sort.Strings(whole)
	sort.Strings(union)
	if strings.Join(whole, "\n") != strings.Join(union, "\n") {
		t.Errorf("the shards' union (%d lines) differs from the whole (%d lines)", len(union), len(whole))
	}
	for i, n := range sizes {
		if n < len(whole)/6 {
			t.Errorf("shard %d has only %d of %d lines: the hash spreads badly", i, n, len(whole))
		}
	}
}

// Adding a replica moves only about 1/N of the accounts.
func TestShardingMovesFewAccounts(t *testing.T) {
	moved, total := 0, 10000
	for i := range total {
		a := fmt.Sprintf("UCgen%d", i)
		if config.ShardOf("youtube", a, 4) != config.ShardOf("youtube", a, 5) {
			moved++
		}
	}
	if share := float64(moved) / float64(total); share < 0.15 || share > 0.25 {
		t.Errorf("going from 4 to 5 replicas moved %.0f%% of the accounts, want about 20%%", 100*share)
	}
}

// With three shards behind one Service, a recording reaches the replica that
// owns its account whichever replica the Service picks: the others forward
// it (--shard.peers).
func TestRecordingThroughAnyShard(t *testing.T) {
	const shards = 3
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("plan: {name: shards, goal: networking, timezone: UTC, start: 2026-07-01, end: 2026-12-31}\nchannels:\n")
	owners := map[int]string{}
	for i := 0; len(owners) < shards; i++ {
		name := fmt.Sprintf("offline%d", i)
		if _, ok := owners[config.ShardOf(name, "default", shards)]; ok {
			continue
		}
		owners[config.ShardOf(name, "default", shards)] = name
		fmt.Fprintf(&b, "  %s: {type: manual, credentials: {token: \"${E2E_RECORD_TOKEN}\"}}\n", name)
	}
	b.WriteString("kpis:\n")
	for _, name := range owners {
		fmt.Fprintf(&b, "  - {name: %s_rel, channel: %s, metric: relationships, count: growth, milestones: [{due: 2026-12-31, target: 30}]}\n", name, name)
	}
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, b.String())
	addrs := make([]string, shards)
	peers := make([]string, shards)
	for i := range addrs {
		addrs[i] = freeAddr(t)
		peers[i] = "http://" + addrs[i]
	}
	ds := make([]*daemon, shards)
	for i := range ds {
		ds[i] = startAt(t, addrs[i], cfg, filepath.Join(dir, fmt.Sprint("data", i)),
			fmt.Sprintf("--shard.count=%d", shards), fmt.Sprintf("--shard.index=%d", i), "--shard.peers="+strings.Join(peers, ","))
	}
	client := &http.Client{}
	// Every channel is recorded through every replica, once each.
	for _, name := range owners {
		for i, d := range ds {
			req, _ := http.NewRequest(http.MethodPost, "http://"+d.addr+"/api/v1/observations", strings.NewReader(fmt.Sprintf(`{"channel":%q,"metric":"relationships","add":1}`, name)))
			req.Header.Set("Authorization", "Bearer "+recordToken)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"value":%d`, i+1)) {
				t.Errorf("%s through replica %d: %d %s", name, i, resp.StatusCode, body)
			}
		}
	}
	// A recording is acknowledged once published: the owner's snapshot
	// (GET /api/v1/kpis) shows the three adds at once.
	for shard, name := range owners {
		resp, err := http.Get("http://" + ds[shard].addr + "/api/v1/kpis")
		if err != nil {
			t.Fatal(err)
		}
		var doc report.Document
		err = json.NewDecoder(resp.Body).Decode(&doc)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, row := range doc.KPIs {
			if row.KPI == name+"_rel" {
				found = true
				if row.Value == nil || *row.Value != shards {
					t.Errorf("%s in shard %d's snapshot: %v, want %d", name, shard, row.Value, shards)
				}
			}
		}
		if !found {
			t.Errorf("%s is not in shard %d's snapshot", name, shard)
		}
	}
	// /metrics serves the latest rendering, which follows a new snapshot
	// in the background (metrics.Cache): the owner's scrape shows the three
	// adds once it has caught up, and never another number.
	for shard, name := range owners {
		waitFor(t, fmt.Sprintf("%s on its owner, shard %d, to show %d", name, shard, shards), func() bool {
			_, mfs := ds[shard].scrape(t)
			v, ok := value(mfs, "kpi_value", map[string]string{"kpi": name + "_rel"})
			if ok && v > shards {
				t.Fatalf("%s on its owner, shard %d: %v, more than the %d adds", name, shard, v, shards)
			}
			return ok && v == shards
		})
	}
	// Without the right token, no replica forwards anything.
	req, _ := http.NewRequest(http.MethodPost, "http://"+ds[0].addr+"/api/v1/observations", strings.NewReader(`{"channel":"`+owners[1]+`","metric":"relationships","add":1}`))
	req.Header.Set("Authorization", "Bearer wrong")
	if resp, err := client.Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong token through a non-owner: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
}
