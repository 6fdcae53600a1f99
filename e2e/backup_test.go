package e2e

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/store"
)

// backupPlan reads YouTube once at start (hourly after) and takes
// recordings by hand, so that the store stays as it is while the test
// compares reports.
func backupPlan(api string) string {
	return fmt.Sprintf(`plan: {name: backups, goal: seo, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}
channels:
  youtube:
    type: youtube
    schedule: "@every 1h"
    api_url: %s
    credentials: {api_key: %s}
    accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw, UCgen42]
  offline:
    type: manual
    credentials: {token: "${E2E_RECORD_TOKEN}"}
kpis:
  - {name: subs, channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: subscribers, milestones: [{due: 2026-12-31, target: 3000000}]}
  - {name: gen_views, channel: youtube, account: UCgen42, metric: views, milestones: [{due: 2026-12-31, target: 100}]}
  - {name: rel, channel: offline, metric: relationships, count: growth, milestones: [{due: 2026-12-31, target: 10}]}
`, api, fakeapi.YouTubeKey)
}

func reportCSV(t *testing.T, cfg, storage string) string {
	t.Helper()
	cmd := exec.Command(binary, "report", "--config.file="+cfg, "--storage.path="+storage, "--at=2026-12-31", "--format=csv")
	cmd.Env = env()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("report on %s: %v\n%s", storage, err, stderr.String())
	}
	return string(out)
}

// restore puts a backup in an empty storage folder as kpi.db.
func restore(t *testing.T, backup string) string {
	t.Helper()
	data, err := os.ReadFile(backup)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "restored")
	if err := os.Mkdir(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, store.FileName), data, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Backups taken while the daemon runs, by `collector backup`, over HTTP and
// on the schedule, each restored into an empty folder, report what the live
// store reports; the daemon goes on meanwhile.
func TestBackupRestoreWhileRunning(t *testing.T) {
	api := fakeapi.New()
	defer api.Close()
	dir := t.TempDir()
	storage, backups := filepath.Join(dir, "data"), filepath.Join(dir, "backups")
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, backupPlan(api.URL))
	d := startAt(t, freeAddr(t), cfg, storage, "--web.enable-admin-api", "--storage.backup.path="+backups, "--storage.backup.interval=1h", "--storage.backup.keep=2")
	defer d.stop(t)
	waitFor(t, "the first youtube run and a scheduled backup", func() bool {
		_, mfs := d.scrape(t)
		_, read := value(mfs, "kpi_value", map[string]string{"kpi": "subs"})
		last, _ := value(mfs, "kpi_store_last_backup_timestamp_seconds", nil)
		interval, _ := value(mfs, "kpi_store_backup_interval_seconds", nil)
		return read && last > 0 && interval == 3600
	})
	for i := range 3 {
		cmd := exec.Command(binary, "record", "--config.file="+cfg, "--storage.path="+storage, "--channel=offline", "--metric=relationships", "--add=1",
			fmt.Sprintf("--time=2026-07-%02dT12:00:00Z", 10+i))
		cmd.Env = env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("record: %v\n%s", err, out)
		}
	}

	fromCLI := filepath.Join(dir, "by-hand.db")
	cmd := exec.Command(binary, "backup", "--to="+fromCLI, "--config.file="+cfg, "--storage.path="+storage)
	cmd.Env = env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("collector backup: %v\n%s", err, out)
	}
	for _, want := range []string{"store layout version", "series", "readings", "first     2026-07-", "last", "To restore"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("collector backup does not print %q:\n%s", want, out)
		}
	}
	cmd = exec.Command(binary, "backup", "--to="+fromCLI, "--config.file="+cfg, "--storage.path="+storage)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "exists") {
		t.Errorf("a backup over an existing file: %v\n%s", err, out)
	}

	resp, err := http.Get("http://" + d.addr + "/api/v1/backup")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/vnd.sqlite3" {
		t.Fatalf("GET /api/v1/backup: %s %v (%v)", resp.Status, resp.Header, err)
	}
	fromHTTP := filepath.Join(dir, "over-http.db")
	if err := os.WriteFile(fromHTTP, body, 0o600); err != nil {
		t.Fatal(err)
	}

	live := reportCSV(t, cfg, storage)
	if !strings.Contains(live, "rel,offline,default,relationships,3,") {
		t.Fatalf("the live report does not show the recordings:\n%s", live)
	}
	for _, b := range []string{fromCLI, fromHTTP} {
		if got := reportCSV(t, cfg, restore(t, b)); got != live {
			t.Errorf("the report of %s restored differs from the live store's:\n got:\n%s\nwant:\n%s", filepath.Base(b), got, live)
		}
	}
	// The scheduled backup was taken before the recordings: its report is
	// the live one without them.
	scheduled, err := filepath.Glob(filepath.Join(backups, "kpi-*.db"))
	if err != nil || len(scheduled) == 0 {
		t.Fatalf("no scheduled backup in %s (%v)", backups, err)
	}
	got := reportCSV(t, cfg, restore(t, scheduled[0]))
	if !strings.Contains(got, "subs,youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,") || strings.Contains(got, "rel,offline,default,relationships,3,") {
		t.Errorf("the scheduled backup's report:\n%s", got)
	}
	// The daemon went on: its store is still written.
	cmd = exec.Command(binary, "record", "--config.file="+cfg, "--storage.path="+storage, "--channel=offline", "--metric=relationships", "--add=1")
	cmd.Env = env()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("record after the backups: %v\n%s", err, out)
	}
}

// GET /api/v1/backup is there only with --web.enable-admin-api, and then
// behind the web config's basic auth.
func TestBackupAPIIsOptInAndAuthenticated(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, `plan: {name: admin, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels: {offline: {type: manual, credentials: {token: "${E2E_RECORD_TOKEN}"}}}
kpis: [{name: rel, channel: offline, metric: relationships, milestones: [{due: 2026-12-31, target: 3}]}]
`)
	d := start(t, cfg, filepath.Join(dir, "data"))
	resp, err := http.Get("http://" + d.addr + "/api/v1/backup")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("without --web.enable-admin-api: %s, want 404", resp.Status)
	}
	d.stop(t)

	hash, err := bcrypt.GenerateFromPassword([]byte("admin-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	writePlan(t, webCfg, fmt.Sprintf("basic_auth_users:\n  admin: %s\n", hash))
	addr := freeAddr(t)
	cmd := exec.Command(binary, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr,
		"--web.config.file="+webCfg, "--web.enable-admin-api")
	cmd.Env = env()
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	get := func(user, pass string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/backup", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			return -1
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "the listener", func() bool { return get("", "") == 401 })
	if code := get("admin", "wrong"); code != 401 {
		t.Errorf("with a wrong password: %d, want 401", code)
	}
	if code := get("admin", "admin-pass"); code != 200 {
		t.Errorf("with the password: %d, want 200\n%s", code, logs)
	}
}
