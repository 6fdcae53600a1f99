package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/report"
)

// Three replicas behind basic auth, each reading a third of the accounts:
// every replica's page, JSON API and calendar show the whole plan with the
// same values; with one replica stopped the others show the rest and name
// the shard missing; restarted, the plan is whole again. `collector report
// --url` prints the same plan with no config and no store.
func TestWholePlanOnEveryReplica(t *testing.T) {
	const shards, perShard = 3, 3
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, []byte("basic_auth_users:\n  marketer: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	passwordFile := filepath.Join(dir, "password")
	if err := os.WriteFile(passwordFile, []byte("s3cret-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	var b strings.Builder
	b.WriteString("plan: {name: whole, goal: networking, timezone: Europe/Stockholm, start: 2026-07-01, end: 2027-06-30}\nchannels:\n")
	var channels []string
	owned := make([]int, shards)
	for i := 0; len(channels) < shards*perShard; i++ {
		name := fmt.Sprintf("offline%d", i)
		if s := config.ShardOf(name, "default", shards); owned[s] < perShard {
			owned[s]++
			channels = append(channels, name)
			fmt.Fprintf(&b, "  %s: {type: manual, credentials: {token: \"${E2E_RECORD_TOKEN}\"}}\n", name)
		}
	}
	b.WriteString("kpis:\n")
	for i, name := range channels {
		fmt.Fprintf(&b, "  - {name: kpi_%d_%s, channel: %s, metric: relationships, count: growth, milestones: [{due: 2027-06-30, target: %d}]}\n", i, name, name, 10+i)
	}
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, b.String())

	addrs := make([]string, shards)
	peers := make([]string, shards)
	for i := range addrs {
		addrs[i] = freeAddr(t)
		peers[i] = "http://" + addrs[i]
	}
	flags := func(i int) []string {
		return []string{fmt.Sprintf("--shard.count=%d", shards), fmt.Sprintf("--shard.index=%d", i),
			"--shard.peers=" + strings.Join(peers, ","), "--web.config.file=" + webConfig}
	}
	ds := make([]*daemon, shards)
	for i := range ds {
		ds[i] = startAs(t, "marketer", "s3cret-pass", addrs[i], cfg, filepath.Join(dir, fmt.Sprint("data", i)), flags(i)...)
	}

	get := func(addr, path string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
		req.SetBasicAuth("marketer", "s3cret-pass")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// Each channel gets i+1 relationships, recorded through replica 0.
	for i, name := range channels {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addrs[0]+"/api/v1/observations",
			strings.NewReader(fmt.Sprintf(`{"channel":%q,"metric":"relationships","value":%d}`, name, i+1)))
		req.SetBasicAuth("marketer", "s3cret-pass")
		req.Header.Set("X-KPI-Token", recordToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("recording %s: %d %s", name, resp.StatusCode, body)
		}
	}

	wholeDoc := func(addr string) report.Document {
		t.Helper()
		code, body := get(addr, "/api/v1/kpis")
		var doc report.Document
		if err := json.Unmarshal([]byte(body), &doc); code != http.StatusOK || err != nil {
			t.Fatalf("%s /api/v1/kpis: %d %v\n%s", addr, code, err, body)
		}
		return doc
	}
	values := func(doc report.Document) string {
		var out []string
		for _, r := range doc.KPIs {
			v := "null"
			if r.Value != nil {
				v = fmt.Sprint(*r.Value)
			}
			out = append(out, r.KPI+"="+v+" "+r.Status)
		}
		return strings.Join(out, ", ")
	}
	var want []string
	for i, name := range channels {
		want = append(want, fmt.Sprintf("kpi_%d_%s=%d", i, name, i+1))
	}
	wholeOn := func(addr string) bool {
		doc := wholeDoc(addr)
		if doc.Partial || len(doc.KPIs) != len(channels) {
			return false
		}
		for i, r := range doc.KPIs {
			if !strings.HasPrefix(values(report.Document{KPIs: []report.Row{r}}), want[i]+" ") {
				return false
			}
		}
		return true
	}
	for _, addr := range addrs {
		waitFor(t, addr+" to show the whole plan with every recording", func() bool { return wholeOn(addr) })
	}
	first := values(wholeDoc(addrs[0]))
	for _, addr := range addrs[1:] {
		if got := values(wholeDoc(addr)); got != first {
			t.Errorf("%s shows %s\nreplica 0 shows %s", addr, got, first)
		}
	}
	for _, addr := range addrs {
		_, page := get(addr, "/")
		_, ics := get(addr, "/api/v1/milestones.ics")
		for i, name := range channels {
			if !strings.Contains(page, fmt.Sprintf("kpi_%d_%s", i, name)) {
				t.Errorf("%s's page lacks kpi_%d_%s", addr, i, name)
			}
		}
		if n := strings.Count(ics, "BEGIN:VEVENT"); n != len(channels) {
			t.Errorf("%s's calendar has %d events, want %d", addr, n, len(channels))
		}
		if strings.Contains(page, "Part of the plan is missing") {
			t.Errorf("%s's page says part of the plan is missing while every replica runs", addr)
		}
	}

	// report --url: the same plan, with no config file and no store.
	out, code := reportURL(t, "http://"+addrs[1], passwordFile)
	if code != 0 {
		t.Fatalf("report --url exited %d: %s", code, out)
	}
	var fromURL report.Document
	if err := json.Unmarshal([]byte(out), &fromURL); err != nil {
		t.Fatal(err)
	}
	if got := values(fromURL); got != first {
		t.Errorf("report --url shows %s\nwant %s", got, first)
	}
	// The HTML report draws every KPI's chart from the whole plan too.
	html, code := reportURL(t, "http://"+addrs[2], passwordFile, "html")
	if code != 0 {
		t.Fatalf("report --url --format=html exited %d: %s", code, html)
	}
	for i, name := range channels {
		if !strings.Contains(html, fmt.Sprintf("kpi_%d_%s", i, name)) {
			t.Errorf("the HTML report from --url lacks kpi_%d_%s", i, name)
		}
	}
	if n := strings.Count(html, "<svg"); n < len(channels) {
		t.Errorf("the HTML report from --url has %d charts, want one per KPI (%d)", n, len(channels))
	}
	if _, code := reportURL(t, "http://"+addrs[1], filepath.Join(dir, "no-such-file")); code == 0 {
		t.Errorf("report --url without the password exited 0")
	}

	// Shard 2 stops: the others show the rest and name it.
	ds[2].stop(t)
	for _, addr := range addrs[:2] {
		waitFor(t, addr+" to name shard 2 missing", func() bool { return wholeDoc(addr).Partial })
		doc := wholeDoc(addr)
		if len(doc.Missing) != 1 || doc.Missing[0].Shard != 2 || doc.Missing[0].KPIs != perShard {
			t.Errorf("%s: missing %+v, want shard 2 with %d KPIs", addr, doc.Missing, perShard)
		}
		if len(doc.KPIs) != len(channels)-perShard {
			t.Errorf("%s shows %d KPIs, want the %d the running shards hold", addr, len(doc.KPIs), len(channels)-perShard)
		}
		_, page := get(addr, "/")
		if !strings.Contains(page, "Part of the plan is missing") || !strings.Contains(page, "Shard 2 (3 KPIs)") {
			t.Errorf("%s's page does not name shard 2 missing", addr)
		}
		_, ics := get(addr, "/api/v1/milestones.ics")
		if n := strings.Count(ics, "BEGIN:VEVENT"); n != len(channels)-perShard {
			t.Errorf("%s's calendar has %d events, want the %d it has", addr, n, len(channels)-perShard)
		}
	}
	out, code = reportURL(t, "http://"+addrs[0], passwordFile)
	if code != 3 || !strings.Contains(out, "shard 2 (3 KPIs) is missing") {
		t.Errorf("report --url of a partial plan exited %d:\n%s", code, out)
	}

	// Restarted, with its store: whole again everywhere.
	ds[2] = startAs(t, "marketer", "s3cret-pass", addrs[2], cfg, filepath.Join(dir, "data2"), flags(2)...)
	for _, addr := range addrs {
		waitFor(t, addr+" to show the whole plan again", func() bool { return wholeOn(addr) })
	}
}

// reportURL runs `collector report --url` in an empty folder, with no
// config file, store or secret in its environment.
func reportURL(t *testing.T, url, passwordFile string, format ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, "report", "--url="+url, "--format="+append(format, "json")[0], "--basic-auth-user=marketer", "--basic-auth-password-file="+passwordFile)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out.String(), exit.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), 0
}
