package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/deploy/internal/dashboards"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// The user's stack for real, sharded: two collectors (shards 0 and 1 of one
// plan) against the fake channel APIs, a real Prometheus scraping both as
// separate targets with the project's rules (their `for:` shortened), and a
// real Alertmanager with the project's inhibitions sending to a webhook in
// this test. A KPI behind plan must reach the webhook, every rule must
// evaluate ("health": "ok": no join finds a duplicate series of the other
// shard), and every dashboard query must answer without error, with data.
//
// Prometheus and Alertmanager are Debian's (what CI installs: 2.x and 0.25),
// not the 3.x and 0.28 that docker-compose.yml pins: no other build can be
// fetched here. The rules use nothing that differs between them.
func TestStackEndToEnd(t *testing.T) {
	prometheus := need(t, "prometheus")
	alertmanager := firstTool(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()

	// The collector, built from the repository.
	collector := filepath.Join(dir, "collector")
	build := exec.Command("go", "build", "-o", collector, "./cmd/collector")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the collector: %v\n%s", err, out)
	}
	api := fakeapi.New()
	defer api.Close()
	plan := fmt.Sprintf(`
plan: {name: stack-test, goal: brand_awareness, timezone: UTC, start: %s, end: %s}
channels:
  youtube:
    type: youtube
    schedule: "@every 1s"
    api_url: %s
    credentials: {api_key: %s}
    accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw, UCgen1, UCgen2, UCgen3, UCgen4, UCgen5, UCgen6]
    rivals: [UCgen9]
    posts_window: 365d
  bluesky:
    type: bluesky
    schedule: "@every 1s"
    api_url: %s
    accounts: [nobody.bsky.social]
  offline:
    type: manual
kpis:
  - {name: youtube_subscribers, channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: subscribers, milestones: [{due: %s, target: 9000000}, {due: %s, target: 9500000}]}
  - {name: bluesky_followers, channel: bluesky, metric: followers, milestones: [{due: %s, target: 100}]}
  - {name: new_relationships, channel: offline, metric: relationships, count: growth, milestones: [{due: %s, target: 50}]}
`, day(-40), day(60), api.URL, fakeapi.YouTubeKey, api.URL, day(10), day(60), day(60), day(20))
	writeFile(t, dir, "plan.yml", plan)
	const shards = 2
	owner := config.ShardOf("offline", "default", shards)
	storage := func(shard int) string { return filepath.Join(dir, fmt.Sprint("data", shard)) }
	record := exec.Command(collector, "record", "--config.file="+filepath.Join(dir, "plan.yml"), "--storage.path="+storage(owner),
		fmt.Sprint("--shard.count=", shards), fmt.Sprint("--shard.index=", owner),
		"--channel=offline", "--metric=relationships", "--value=1", "--time="+time.Now().Add(-time.Hour).Format(time.RFC3339))
	if out, err := record.CombinedOutput(); err != nil {
		t.Fatalf("collector record: %v\n%s", err, out)
	}
	var collectorAddrs []string
	for shard := range shards {
		addr := freeAddr(t)
		start(t, fmt.Sprint("collector shard ", shard), collector, "--config.file="+filepath.Join(dir, "plan.yml"), "--storage.path="+storage(shard),
			"--web.listen-address="+addr, fmt.Sprint("--shard.count=", shards), fmt.Sprint("--shard.index=", shard))
		waitHTTP(t, "http://"+addr+"/-/ready")
		collectorAddrs = append(collectorAddrs, `"`+addr+`"`)
	}

	// The webhook that Alertmanager calls.
	var mu sync.Mutex
	var alerts []string
	hook := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		var body struct {
			Alerts []struct {
				Status      string            `json:"status"`
				Labels      map[string]string `json:"labels"`
				Annotations map[string]string `json:"annotations"`
			} `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err == nil {
			mu.Lock()
			for _, a := range body.Alerts {
				alerts = append(alerts, a.Status+" "+a.Labels["alertname"]+" "+a.Labels["kpi"]+" "+a.Labels["channel"]+" | "+a.Annotations["description"])
			}
			mu.Unlock()
		}
	}))
	defer hook.Close()

	// Alertmanager: the project's inhibitions, every route to the webhook.
	amAddr := freeAddr(t)
	writeFile(t, dir, "alertmanager.yml", alertmanagerConfig(t, hook.URL))
	start(t, "alertmanager", alertmanager, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "am"), "--web.listen-address="+amAddr, "--cluster.listen-address=")
	waitHTTP(t, "http://"+amAddr+"/-/ready")

	// Prometheus: the project's rules with `for:` shortened to a second.
	rules, err := os.ReadFile(filepath.Join("prometheus", "rules", "kpi.yml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "rules.yml", regexp.MustCompile(`(?m)^(\s+for:) .*$`).ReplaceAllString(string(rules), "$1 1s"))
	promAddr := freeAddr(t)
	writeFile(t, dir, "prometheus.yml", fmt.Sprintf(`
global: {scrape_interval: 1s, evaluation_interval: 1s}
rule_files: [rules.yml]
alerting:
  alertmanagers: [{static_configs: [{targets: ["%s"]}]}]
scrape_configs:
  - job_name: kpi-collector
    static_configs: [{targets: [%s]}]
`, amAddr, strings.Join(collectorAddrs, ", ")))
	start(t, "prometheus", prometheus, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "tsdb"), "--web.listen-address="+promAddr)
	waitHTTP(t, "http://"+promAddr+"/-/ready")

	// A KPI behind plan arrives at the webhook, with its numbers.
	deadline := time.Now().Add(90 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(alerts, "\n")
		mu.Unlock()
		if strings.Contains(got, "firing KPIBehindPlan youtube_subscribers youtube | youtube_subscribers (subscribers of UC_x5XG1OV2P6uZZ5FSM9Ttw on youtube) is 2.51M where the plan expects") {
			if strings.Contains(got, "KPIBehindPlan bluesky_followers") {
				t.Errorf("a KPI of a failing channel raised KPIBehindPlan:\n%s", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no KPIBehindPlan for youtube_subscribers reached the webhook in 90s; it got:\n%s", got)
		}
		time.Sleep(500 * time.Millisecond)
	}

	// Every rule evaluates without error with two shards scraped.
	rulesHealthy(t, promAddr)

	// Every dashboard query, with its variables set, returns data.
	files, _ := filepath.Glob(filepath.Join("grafana", "dashboards", "*.json"))
	var queries []string
	for _, f := range files {
		panels, variables, err := dashboards.Queries(f)
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, panels...)
		for _, v := range variables {
			if g := regexp.MustCompile(`^label_values\((.+), \w+\)$`).FindStringSubmatch(v); g != nil {
				queries = append(queries, g[1])
			}
		}
	}
	if len(queries) < 30 {
		t.Fatalf("found only %d dashboard queries", len(queries))
	}
	t.Logf("checking %d dashboard queries against Prometheus", len(queries))
	deadline = time.Now().Add(60 * time.Second)
	for _, q := range queries {
		q = dashboards.Expand(q)
		for {
			n, err := promQuery(promAddr, q)
			if err != nil {
				t.Errorf("%s: %v", q, err)
				break
			}
			if n > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("%s returns no data", q)
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
}

// rulesHealthy waits for a few evaluations, then asks Prometheus for every
// rule's health: each must be "ok".
func rulesHealthy(t *testing.T, promAddr string) {
	t.Helper()
	time.Sleep(3 * time.Second)                                   // a few evaluations at 1s
	resp, err := http.Get("http://" + promAddr + "/api/v1/rules") //nolint:noctx // a test against loopback
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			Groups []struct {
				Rules []struct {
					Name      string `json:"name"`
					Health    string `json:"health"`
					LastError string `json:"lastError"`
				} `json:"rules"`
			} `json:"groups"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range body.Data.Groups {
		for _, r := range g.Rules {
			n++
			if r.Health != "ok" {
				t.Errorf("rule %s: health %q: %s", r.Name, r.Health, r.LastError)
			}
		}
	}
	if n < 12 {
		t.Errorf("Prometheus has %d rules, want the mixin's 12 or more", n)
	}
}

func day(offset int) string { return time.Now().UTC().AddDate(0, 0, offset).Format(time.DateOnly) }

// promQuery runs an instant query and returns how many series it gave.
func promQuery(addr, q string) (int, error) {
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q)) //nolint:noctx // a test against loopback
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return 0, err
	}
	if body.Status != "success" {
		return 0, fmt.Errorf("prometheus: %s", body.Error)
	}
	return len(body.Data.Result), nil
}

// alertmanagerConfig is the project's alertmanager.yml with its receivers
// replaced by the test's webhook and its waits shortened; the inhibitions stay.
func alertmanagerConfig(t *testing.T, hook string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("alertmanager", "alertmanager.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	delete(c, "global")
	c["route"] = map[string]any{"receiver": "test", "group_by": []string{"alertname", "channel", "kpi"},
		"group_wait": "1s", "group_interval": "1s", "repeat_interval": "1h"}
	c["receivers"] = []any{map[string]any{"name": "test", "webhook_configs": []any{map[string]any{"url": hook, "send_resolved": true}}}}
	if c["inhibit_rules"] == nil {
		t.Fatal("alertmanager.yml has no inhibit_rules")
	}
	out, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func firstTool(t *testing.T, names ...string) string {
	t.Helper()
	for _, n := range names[1:] {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return need(t, names[0])
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// start runs a process for the rest of the test; its output is shown if the test fails.
func start(t *testing.T, name, bin string, args ...string) {
	t.Helper()
	var out bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) })
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			mu.Lock()
			t.Logf("%s output:\n%s", name, lastLines(out.String(), 40))
			mu.Unlock()
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func waitHTTP(t *testing.T, u string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(u) //nolint:noctx // a test against loopback
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s is not ready after 30s", u)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
