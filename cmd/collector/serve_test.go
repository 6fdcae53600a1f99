package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/peers"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// A sharded plan's digests read the whole plan from the peers: shard 1's
// part joins shard 0's, and a shard that does not answer is an error that
// names it. The peers' URLs carry the credentials of replicas behind basic
// auth.
func TestWholePlanForDigests(t *testing.T) {
	if wholePlan(nil) != nil {
		t.Error("an unsharded plan asks peers")
	}
	loc := time.UTC
	plan := snapshot.PlanInfo{Name: "p", Goal: "seo", Timezone: "UTC", Start: "2026-07-01", End: "2026-12-31",
		StartTime: time.Date(2026, 7, 1, 0, 0, 0, 0, loc), EndTime: time.Date(2027, 1, 1, 0, 0, 0, 0, loc), ShardKPIs: []int{1, 1}}
	part := func(shard int, name string) *snapshot.Snapshot {
		p := plan
		p.ShardIndex = shard
		return &snapshot.Snapshot{At: time.Date(2026, 9, 1, 0, 0, 0, 0, loc), Plan: p,
			KPIs: []snapshot.KPIState{{KPI: &snapshot.KPI{Position: shard, Name: name, Channel: "offline", Metric: "talks"}}}}
	}
	up := true
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pass, ok := r.BasicAuth(); !ok || user != "kpi" || pass != "s3cret" {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		if !up {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		peers.ServePart(w, r, part(1, "b"))
	}))
	defer peer.Close()
	withAuth := strings.Replace(peer.URL, "http://", "http://kpi:s3cret@", 1)
	whole := wholePlan(&peers.Peers{URLs: []string{"http://127.0.0.1:1", withAuth}, Self: 0, Client: peers.NewClient(), Timeout: 2 * time.Second, TTL: -1})
	got, err := whole(context.Background(), part(0, "a"))
	if err != nil || len(got.KPIs) != 2 || got.KPIs[0].Name != "a" || got.KPIs[1].Name != "b" {
		t.Fatalf("whole plan: %v, %v", got, err)
	}
	up = false
	if _, err := whole(context.Background(), part(0, "a")); err == nil || !strings.Contains(err.Error(), "shard 1 (1 KPIs): it answered 503") {
		t.Errorf("a shard down: %v", err)
	}
}
