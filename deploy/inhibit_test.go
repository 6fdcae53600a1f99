package deploy

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The project's inhibitions, in a real Alertmanager, silence only alerts of
// the same replica (and channel, or KPI): one shard down or failing never
// silences another's critical alerts.
func TestInhibitionsStayWithinTheirReplica(t *testing.T) {
	alertmanager := firstTool(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	amAddr := freeAddr(t)
	writeFile(t, dir, "alertmanager.yml", alertmanagerConfig(t, "http://127.0.0.1:1/unused"))
	start(t, "alertmanager", alertmanager, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "am"), "--web.listen-address="+amAddr, "--cluster.listen-address=")
	waitHTTP(t, "http://"+amAddr+"/-/ready")

	type alert map[string]string
	send := []alert{
		{"alertname": "KPICollectorDown", "job": "kpi-collector", "instance": "a"},
		{"alertname": "KPIMilestoneMissed", "job": "kpi-collector", "instance": "a", "kpi": "on_a", "channel": "blog"},
		{"alertname": "KPIMilestoneMissed", "job": "kpi-collector", "instance": "b", "kpi": "on_b", "channel": "blog"},
		{"alertname": "KPICollectionFailing", "job": "kpi-collector", "instance": "c", "channel": "blog"},
		{"alertname": "KPIBehindPlan", "job": "kpi-collector", "instance": "c", "kpi": "blog_on_c", "channel": "blog"},
		{"alertname": "KPIBehindPlan", "job": "kpi-collector", "instance": "c", "kpi": "yt_on_c", "channel": "youtube"},
		{"alertname": "KPIBehindPlan", "job": "kpi-collector", "instance": "b", "kpi": "blog_on_b", "channel": "blog"},
		{"alertname": "KPIDataStale", "job": "kpi-collector", "instance": "b", "kpi": "stale_on_b", "channel": "youtube"},
		{"alertname": "KPIBehindPlan", "job": "kpi-collector", "instance": "b", "kpi": "stale_on_b", "channel": "youtube"},
	}
	var body []map[string]any
	for _, a := range send {
		body = append(body, map[string]any{"labels": a, "startsAt": time.Now().Add(-time.Minute).Format(time.RFC3339)})
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post("http://"+amAddr+"/api/v2/alerts", "application/json", bytes.NewReader(b)) //nolint:noctx // a test against loopback
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("posting alerts: %s", resp.Status)
	}

	want := map[string]bool{ // kpi (or alertname) -> inhibited
		"on_a": true, "on_b": false, "blog_on_c": true, "yt_on_c": false, "blog_on_b": false, "stale_on_b/KPIBehindPlan": true, "stale_on_b/KPIDataStale": false,
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := map[string]bool{}
		resp, err := http.Get("http://" + amAddr + "/api/v2/alerts") //nolint:noctx // a test against loopback
		if err != nil {
			t.Fatal(err)
		}
		var alerts []struct {
			Labels map[string]string `json:"labels"`
			Status struct {
				InhibitedBy []string `json:"inhibitedBy"`
			} `json:"status"`
		}
		err = json.NewDecoder(resp.Body).Decode(&alerts)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range alerts {
			key := a.Labels["kpi"]
			if key == "stale_on_b" {
				key += "/" + a.Labels["alertname"]
			}
			if key != "" {
				got[key] = len(a.Status.InhibitedBy) > 0
			}
		}
		var wrong []string
		for k, w := range want {
			if g, ok := got[k]; !ok || g != w {
				wrong = append(wrong, k)
			}
		}
		if len(wrong) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("inhibited: got %v, want %v (wrong: %s)", got, want, strings.Join(wrong, ", "))
		}
		time.Sleep(200 * time.Millisecond)
	}
}
