package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
	"github.com/kpi-collector/kpi-collector/store"
)

// fastPlan is a plan whose channels run every second against the fakes.
func fastPlan(api string, extraChannels string) string {
	return fmt.Sprintf(`plan: {name: reliability, goal: seo, timezone: UTC, start: 2026-07-01, end: 2026-12-31}
channels:
  youtube:
    type: youtube
    schedule: "@every 1s"
    timeout: 5s
    api_url: %s
    credentials: {api_key: %s}
    accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw, UCgen42]
%s
kpis:
  - {name: subs, channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: subscribers, milestones: [{due: 2026-12-31, target: 3000000}]}
  - {name: gen_views, channel: youtube, account: UCgen42, metric: views, milestones: [{due: 2026-12-31, target: 100}]}
`, api, fakeapi.YouTubeKey, extraChannels)
}

// startCollected starts the daemon on fastPlan, written in dir, with its
// store in storage, and waits for its first youtube run; it returns the
// daemon and the plan's path.
func startCollected(t *testing.T, api *fakeapi.Server, dir, storage string) (*daemon, string) {
	t.Helper()
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, fastPlan(api.URL, ""))
	d := start(t, cfg, storage)
	waitFor(t, "the first youtube run", func() bool {
		_, mfs := d.scrape(t)
		_, ok := value(mfs, "kpi_value", map[string]string{"kpi": "subs"})
		return ok
	})
	return d, cfg
}

func writePlan(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// While every API hangs, /metrics, / and the API still answer at once: no
// lock is held across a network call and no scrape waits for a collection.
func TestResponsiveWhileAPIsHang(t *testing.T) {
	api := fakeapi.New()
	defer api.Close()
	api.Fail(fakeapi.YouTube, "hang")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, strings.Replace(fastPlan(api.URL, ""), "timeout: 5s", "timeout: 1m", 1))
	d := start(t, cfg, filepath.Join(dir, "data"))
	waitFor(t, "a hanging call", func() bool { return api.Calls(fakeapi.YouTube) > 0 })
	client := &http.Client{Timeout: 5 * time.Second}
	for range 5 {
		for _, path := range []string{"/metrics", "/", "/api/v1/kpis", "/-/healthy", "/-/ready"} {
			resp, err := client.Get("http://" + d.addr + path)
			if err != nil {
				t.Fatalf("%s while the API hangs: %v", path, err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("%s while the API hangs: %d", path, resp.StatusCode)
			}
		}
	}
	d.stop(t) // and SIGTERM ends the hanging run
}

// SIGHUP and POST /-/reload: a good config is swapped in (new channels
// start, removed ones stop, stored readings stay); a broken one is refused,
// the old one keeps running and the reload metric says so.
func TestReload(t *testing.T) {
	api := fakeapi.New()
	defer api.Close()
	dir := t.TempDir()
	d, cfg := startCollected(t, api, dir, filepath.Join(dir, "data"))

	// A good config with a new channel, by SIGHUP.
	withBluesky := fastPlan(api.URL, fmt.Sprintf("  bluesky:\n    type: bluesky\n    schedule: \"@every 1s\"\n    api_url: %s\n    accounts: [bsky.app]\n", api.URL))
	writePlan(t, cfg, withBluesky)
	d.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the new channel's first run", func() bool {
		_, mfs := d.scrape(t)
		v, ok := value(mfs, "kpi_account_value", map[string]string{"channel": "bluesky", "metric": "followers"})
		return ok && v == 35250704
	})

	// A broken config, by POST: refused with the reason; the old one runs on.
	writePlan(t, cfg, strings.Replace(withBluesky, "goal: seo", "goal: [seo, networking]", 1))
	resp, err := http.Post("http://"+d.addr+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "exactly one goal") {
		t.Errorf("a broken reload: %d %s", resp.StatusCode, body)
	}
	waitFor(t, "kpi_config_last_reload_successful 0 after a refused reload", func() bool {
		_, mfs := d.scrape(t)
		v, _ := value(mfs, "kpi_config_last_reload_successful", nil)
		return v == 0
	})
	before := api.Calls(fakeapi.Bluesky)
	waitFor(t, "the old config running on", func() bool { return api.Calls(fakeapi.Bluesky) > before })

	// Remove the channel again: it stops; youtube's stored values stay.
	writePlan(t, cfg, fastPlan(api.URL, ""))
	resp, err = http.Post("http://"+d.addr+"/-/reload", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("a good reload: %v %v", err, resp.Status)
	}
	resp.Body.Close()
	time.Sleep(1500 * time.Millisecond) // a run that had started may finish
	stopped := api.Calls(fakeapi.Bluesky)
	time.Sleep(2500 * time.Millisecond)
	if api.Calls(fakeapi.Bluesky) != stopped {
		t.Error("a removed channel is still collected")
	}
	_, mfs := d.scrape(t)
	if v, _ := value(mfs, "kpi_config_last_reload_successful", nil); v != 1 {
		t.Error("kpi_config_last_reload_successful is not 1 after a good reload")
	}
	if _, ok := value(mfs, "kpi_account_value", map[string]string{"channel": "bluesky"}); ok {
		t.Error("a removed channel is still exported")
	}
	if v, ok := value(mfs, "kpi_value", map[string]string{"kpi": "subs"}); !ok || v != 2510000 {
		t.Errorf("youtube's value after reloads: %v %v", v, ok)
	}
	d.stop(t)
}

// SIGKILL during collections, twenty times: the store opens cleanly each
// time and still holds every reading /metrics had shown before the kill.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills the daemon twenty times")
	}
	api := fakeapi.New()
	defer api.Close()
	api.Latency = 200 * time.Millisecond // each run is in flight for a while: kills land inside runs too
	dir := t.TempDir()
	cfg := filepath.Join(dir, "plan.yml")
	storage := filepath.Join(dir, "data")
	writePlan(t, cfg, recordingPlan(api.URL))
	type shown struct{ at, value float64 }
	var seen []shown
	// Recordings go on over HTTP while the daemon is killed: every one
	// acknowledged must be in the store after the kill.
	var acked, attempted int
	client := &http.Client{Timeout: 5 * time.Second}
	for i := range 20 {
		d := start(t, cfg, storage)
		stopRecording := make(chan struct{})
		recorded := make(chan struct{})
		go func() {
			defer close(recorded)
			for {
				select {
				case <-stopRecording:
					return
				default:
				}
				attempted++
				if ok, _ := postAdd(client, d.addr); ok {
					acked++
				}
			}
		}()
		var last shown
		waitFor(t, "a new collection", func() bool {
			_, mfs := d.scrape(t)
			at, ok := value(mfs, "kpi_last_observation_timestamp_seconds", map[string]string{"kpi": "subs"})
			v, _ := value(mfs, "kpi_value", map[string]string{"kpi": "subs"})
			last = shown{at, v}
			return ok && (len(seen) == 0 || at > seen[len(seen)-1].at)
		})
		seen = append(seen, last)
		time.Sleep(time.Duration(i%7) * 150 * time.Millisecond) // kill at varying points of a run
		d.cmd.Process.Kill()
		<-d.done
		close(stopRecording)
		<-recorded

		st, err := store.Open(storage)
		if err != nil {
			t.Fatalf("kill %d: the store does not open: %v", i+1, err)
		}
		if err := st.Check(context.Background()); err != nil {
			t.Fatalf("kill %d: %v", i+1, err)
		}
		rs, err := st.Readings(context.Background())
		st.Close()
		if err != nil {
			t.Fatalf("kill %d: reading the store: %v", i+1, err)
		}
		have := map[int64]float64{}
		var relationships []store.Reading
		for _, r := range rs {
			if r.Channel == "offline" && r.Metric == "relationships" {
				relationships = append(relationships, r)
			}
			if r.Channel == "youtube" && r.Metric == "subscribers" && r.Account == "UC_x5XG1OV2P6uZZ5FSM9Ttw" {
				have[r.Time.UnixMilli()] = r.Value
			}
		}
		for _, s := range seen {
			if v, ok := have[int64(s.at*1000+0.5)]; !ok || v != s.value {
				t.Fatalf("kill %d: the reading shown at %v (%v) is not in the store", i+1, s.at, s.value)
			}
		}
		// A recording in flight at the kill may be stored without its
		// answer: at least every acknowledged one, at most every attempted.
		var latest float64
		for _, r := range relationships {
			if r.Value > latest {
				latest = r.Value
			}
		}
		if latest < float64(acked) || latest > float64(attempted) {
			t.Fatalf("kill %d: %d recordings acknowledged (%d attempted), the store holds %v", i+1, acked, attempted, latest)
		}
		acked, attempted = int(latest), int(latest) // the next adds count on from what is stored
	}
}

// Known secrets go through every failure path; none shows in the logs, the
// pages, the metrics, the JSON or `collector check`.
func TestSecretsNeverShow(t *testing.T) {
	secrets := map[string]string{
		"youtube": "AIzaSy-SECRET-youtube-1111", "x": "SECRET-x-bearer-2222", "graph": "SECRET-graph-3333",
		"linkedin": "SECRET-linkedin-4444", "json": "SECRET-json-header-5555", "query": "SECRET-json-query-6666", "record": "SECRET-record-7777",
		"plausible": "SECRET-plausible-8888", "matomo": "5ec7e75ec7e75ec7e75ec7e75ec7e799",
		// Not configured: the access token the Google token endpoint hands out.
		"google_access_token": fakeapi.GoogleAccessToken,
		// LinkedIn's app and its refresh token, and the access tokens minted
		// with them (by the daemon, then by `collector once`).
		"linkedin_client_secret": fakeapi.LinkedInClientSecret, "linkedin_refresh_token": fakeapi.LinkedInRefreshToken,
		"linkedin_minted_1": fakeapi.MintedLinkedInToken(1), "linkedin_minted_2": fakeapi.MintedLinkedInToken(2), "linkedin_minted_3": fakeapi.MintedLinkedInToken(3),
	}
	var key struct {
		PrivateKey string `json:"private_key"`
	}
	if err := json.Unmarshal([]byte(fakeapi.GoogleServiceAccountKey()), &key); err != nil {
		t.Fatal(err)
	}
	secrets["google_private_key"] = key.PrivateKey[40:100]
	api := fakeapi.New()
	defer api.Close()
	// Every API answers with a body that quotes the credentials it got.
	// LinkedIn's token endpoint answers, so that the API echoes a minted
	// token; its introspection and Graph's debug_token echo what they got.
	for _, a := range []fakeapi.API{fakeapi.YouTube, fakeapi.X, fakeapi.XV1, fakeapi.Graph, fakeapi.LinkedIn, fakeapi.HTTPJSON,
		fakeapi.SearchConsole, fakeapi.GoogleAnalytics, fakeapi.Plausible, fakeapi.Matomo, fakeapi.LinkedInIntrospect, fakeapi.GraphDebugToken} {
		api.Fail(a, "echo")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "plan.yml")
	plan := fmt.Sprintf(`plan: {name: secrets, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels:
  youtube:
    type: youtube
    schedule: "@every 1s"
    api_url: %[1]s
    credentials: {api_key: %[2]s}
    accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw]
  x:
    type: twitter
    schedule: "@every 1s"
    api_url: %[1]s
    credentials: {bearer_token: %[3]s}
    accounts: [XDevelopers]
  x_v1:
    type: twitter
    api: v1.1
    schedule: "@every 1s"
    api_url: %[1]s
    credentials: {bearer_token: %[3]s}
    accounts: [XDevelopers]
  instagram:
    type: instagram
    schedule: "@every 1s"
    api_url: %[1]s
    credentials: {access_token: %[4]s}
    accounts: ["17841405309211844"]
  facebook:
    type: facebook
    schedule: "@every 1s"
    api_url: %[1]s
    credentials: {access_token: %[4]s}
    accounts: ["123"]
  linkedin:
    type: linkedin
    schedule: "@every 1s"
    api_url: %[1]s
    oauth_url: %[1]s/oauth/v2/
    credentials: {access_token: %[5]s, client_id: %[12]s, client_secret: %[13]s}
    accounts: ["1234567"]
  linkedin_minted:
    type: linkedin
    schedule: "@every 1s"
    api_url: %[1]s
    oauth_url: %[1]s/oauth/v2/
    credentials: {client_id: %[12]s, client_secret: %[13]s, refresh_token: %[14]s}
    accounts: ["1234567"]
  newsletter:
    type: http_json
    schedule: "@every 1s"
    accounts: [%[1]s/json/lists/42, http://127.0.0.1:1/down]
    metrics: {subscribers: stats.member_count}
    credentials: {headers: {X-Api-Key: %[6]s}, query: {api_key: %[7]s}}
  offline:
    type: manual
    credentials: {token: %[8]s}
  search:
    type: search_console
    schedule: "@every 1s"
    api_url: %[1]s
    token_url: %[1]s/token
    credentials: {service_account: '%[9]s'}
    accounts: ["sc-domain:example.com"]
  analytics:
    type: google_analytics
    schedule: "@every 1s"
    api_url: %[1]s
    token_url: %[1]s/token
    metrics: {sessions: sessions}
    credentials: {service_account: '%[9]s'}
    accounts: ["123456789"]
  plausible:
    type: plausible
    schedule: "@every 1s"
    api_url: %[1]s
    credentials: {api_key: %[10]s}
    accounts: [example.com]
  matomo:
    type: matomo
    schedule: "@every 1s"
    api_url: %[1]s/matomo/
    credentials: {token_auth: %[11]s}
    accounts: ["3"]
kpis:
  - {name: subs, channel: youtube, metric: subscribers, milestones: [{due: 2026-12-31, target: 3000000}]}
  - {name: rel, channel: offline, metric: relationships, milestones: [{due: 2026-12-31, target: 3}]}
`, api.URL, secrets["youtube"], secrets["x"], secrets["graph"], secrets["linkedin"], secrets["json"], secrets["query"], secrets["record"],
		fakeapi.GoogleServiceAccountKey(), secrets["plausible"], secrets["matomo"], fakeapi.LinkedInClientID, secrets["linkedin_client_secret"], secrets["linkedin_refresh_token"])
	writePlan(t, cfg, plan)
	d := start(t, cfg, filepath.Join(dir, "data"))
	waitFor(t, "every channel's failures", func() bool {
		_, mfs := d.scrape(t)
		for _, ch := range []string{"youtube", "x", "x_v1", "instagram", "facebook", "linkedin", "linkedin_minted", "newsletter", "search", "analytics", "plausible", "matomo"} {
			if v, _ := value(mfs, "kpi_collection_success", map[string]string{"channel": ch}); v != 0 {
				return false
			}
		}
		return true
	})
	// A wrong token on the recording API.
	req, _ := http.NewRequest(http.MethodPost, "http://"+d.addr+"/api/v1/observations", strings.NewReader(`{"channel":"offline","metric":"relationships","add":1}`))
	req.Header.Set("Authorization", "Bearer "+secrets["record"]+"x")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	var outputs []string
	for _, path := range []string{"/metrics", "/", "/api/v1/kpis"} {
		resp, err := http.Get("http://" + d.addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		outputs = append(outputs, path+":\n"+string(b))
	}
	// A reload refused because an account URL carries a credential.
	writePlan(t, cfg, strings.Replace(plan, "accounts: ["+api.URL+"/json/lists/42,", "accounts: [\""+api.URL+"/json/lists/42?api_key="+secrets["query"]+"\",", 1))
	resp, err := http.Post("http://"+d.addr+"/-/reload", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "carries a credential") {
		t.Errorf("a reload with a credential in an account URL: %d %s", resp.StatusCode, b)
	}
	outputs = append(outputs, "reload:\n"+string(b))
	writePlan(t, cfg, plan)
	d.stop(t)
	outputs = append(outputs, "logs:\n"+d.logs.String())
	// `collector once` prints every failure.
	once := exec.Command(binary, "once", "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "once"))
	onceOut, _ := once.CombinedOutput()
	if !strings.Contains(string(onceOut), "auth") {
		t.Errorf("once did not report the failures:\n%s", onceOut)
	}
	outputs = append(outputs, "once:\n"+string(onceOut))
	// A config with problems next to the secrets.
	check := exec.Command(binary, "check", "--config.file="+cfg)
	writePlan(t, cfg, strings.ReplaceAll(plan, "schedule: \"@every 1s\"", "schedule: \"every second\"")+"\nbogus: "+secrets["x"]+"\n")
	out, _ := check.CombinedOutput()
	outputs = append(outputs, "check:\n"+string(out))
	if !strings.Contains(string(out), "is not a cron schedule") {
		t.Errorf("check did not report the problems:\n%s", out)
	}
	for _, o := range outputs {
		for name, s := range secrets {
			if strings.Contains(o, s) {
				t.Errorf("the %s secret shows in %s", name, o[:strings.Index(o, ":")])
			}
		}
	}
}

// --web.config.file: TLS and basic auth through exporter-toolkit.
func TestWebConfigTLSAndBasicAuth(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := selfSigned(t, dir)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webCfg := filepath.Join(dir, "web.yml")
	writePlan(t, webCfg, fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\nbasic_auth_users:\n  prometheus: %s\n", certFile, keyFile, hash))
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, `plan: {name: tls, goal: seo, start: 2026-07-01, end: 2026-12-31}
channels: {offline: {type: manual, credentials: {token: "${E2E_RECORD_TOKEN}"}}}
kpis: [{name: rel, channel: offline, metric: relationships, milestones: [{due: 2026-12-31, target: 3}]}]
`)
	addr := freeAddr(t)
	cmd := exec.Command(binary, "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--web.config.file="+webCfg)
	cmd.Env = env()
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	pool := x509.NewCertPool()
	certPEM, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(certPEM)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	get := func(user, pass string) int {
		req, _ := http.NewRequest(http.MethodGet, "https://"+addr+"/metrics", nil)
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		resp, err := client.Do(req)
		if err != nil {
			return -1
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "the TLS listener", func() bool { return get("prometheus", "s3cret-pass") == 200 })
	if code := get("", ""); code != 401 {
		t.Errorf("without credentials: %d, want 401", code)
	}
	if code := get("prometheus", "wrong"); code != 401 {
		t.Errorf("with a wrong password: %d, want 401", code)
	}
	if resp, err := http.Get("http://" + addr + "/metrics"); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "kpi_plan_info") {
			t.Error("plain HTTP served the metrics")
		}
	}
	// Recording behind basic auth: the channel's token in X-KPI-Token.
	record := func(user, pass string, header map[string]string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "https://"+addr+"/api/v1/observations", strings.NewReader(`{"channel":"offline","metric":"relationships","add":1}`))
		if user != "" {
			req.SetBasicAuth(user, pass)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := client.Do(req)
		if err != nil {
			return -1, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := record("prometheus", "s3cret-pass", map[string]string{"X-KPI-Token": recordToken}); code != 200 || !strings.Contains(body, `"value":1`) {
		t.Errorf("recording with basic auth and X-KPI-Token: %d %s", code, body)
	}
	if code, _ := record("", "", map[string]string{"X-KPI-Token": recordToken}); code != 401 {
		t.Errorf("recording with the token but without basic auth: %d, want 401", code)
	}
	if code, _ := record("prometheus", "s3cret-pass", map[string]string{"X-KPI-Token": "wrong"}); code != 401 {
		t.Errorf("recording with basic auth and a wrong token: %d, want 401", code)
	}
	if strings.Contains(logs.String(), "s3cret-pass") {
		t.Error("the logs show the password")
	}
}

func selfSigned(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}
