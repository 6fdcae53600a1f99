package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/digest"
	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/internal/browsertest"
	"github.com/kpi-collector/kpi-collector/internal/fakesmtp"
	"github.com/kpi-collector/kpi-collector/internal/handclock"
	"github.com/kpi-collector/kpi-collector/store"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// weekPlan has two KPIs kept by hand: guest posts fall behind and then miss
// their milestone of 16 September; relationships go from on track to ahead,
// with a milestone due in the week after. The weekly digest goes by mail
// (STARTTLS, AUTH PLAIN) and as JSON.
const weekPlan = `plan: {name: acme-2026-h2, goal: networking, timezone: Europe/Stockholm, start: 2026-07-01, end: 2026-12-31}
channels:
  offline: {type: manual, credentials: {token: "${E2E_RECORD_TOKEN}"}}
kpis:
  - name: guest_posts
    channel: offline
    metric: guest_posts
    count: growth
    milestones: [{due: 2026-09-16, target: 6}, {due: 2026-12-31, target: 12}]
  - name: relationships
    channel: offline
    metric: relationships
    count: growth
    milestones: [{due: 2026-09-25, target: 20}, {due: 2026-12-31, target: 50}]
digests:
  weekly:
    schedule: "0 8 * * MON"
    smtp:
      host: localhost
      port: {{PORT}}
      tls: starttls
      username: kpi
      password: "${E2E_SMTP_PASSWORD}"
      from: "KPI collector <kpi@acme.example>"
      to: [marketing@acme.example]
    webhooks:
      - {type: json, url: "{{JSON}}/hooks/weekly-secret"}
`

// A week under an injected clock: the first digest on Monday 14
// September, a restart mid-week that sends nothing again, a stop over the
// next Monday's moment after which the start sends that digest once; the
// second digest tells the status changes and the missed milestone exactly
// (golden), by mail through a real SMTP server and as JSON.
func TestDigestOverAWeek(t *testing.T) {
	t.Setenv("E2E_RECORD_TOKEN", recordToken)
	t.Setenv("E2E_SMTP_PASSWORD", "e2e-smtp-password")
	ctx := context.Background()
	smtpSrv := fakesmtp.Start(t, fakesmtp.StartTLS, "kpi", "e2e-smtp-password")
	var mu sync.Mutex
	var posts [][]byte
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, body)
		mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	defer hook.Close()

	dir := t.TempDir()
	file := filepath.Join(dir, "plan.yml")
	writePlan(t, file, strings.NewReplacer("{{PORT}}", itoa(smtpSrv.Port), "{{JSON}}", hook.URL).Replace(weekPlan))
	cfg, err := config.LoadFile(file, collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stockholm := cfg.Plan.Location
	at := func(month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, stockholm)
	}
	clk := handclock.New(at(9, 14, 7, 0))
	e := engine.New(st, cfg, collectors.Types(), nil)
	e.SetClock(clk.Now)
	if err := e.Load(ctx); err != nil {
		t.Fatal(err)
	}
	record := func(metric string, value float64, when time.Time) {
		t.Helper()
		if _, err := e.Record(ctx, vocab.ManualReading{Channel: "offline", Metric: metric, Value: value, Time: when, Backdated: true}); err != nil {
			t.Fatal(err)
		}
	}
	record("guest_posts", 2, at(8, 1, 10, 0))
	record("guest_posts", 5, at(9, 10, 10, 0))
	record("relationships", 8, at(8, 1, 10, 0))
	record("relationships", 17, at(9, 10, 10, 0))

	opts := digest.Options{ExternalURL: "https://kpi.acme.example/", Charts: digest.ChartPNG, Now: clk.Now,
		TLS: &tls.Config{RootCAs: smtpSrv.Roots}, Sleep: func(context.Context, time.Duration) error { return nil }}
	runner := digest.NewRunner(cfg, e.Snapshot, st, opts)
	tick := func(when time.Time) {
		t.Helper()
		clk.Set(when)
		if err := e.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		runner.Tick(ctx)
	}
	sent := func() int { return len(smtpSrv.Messages()) }

	tick(at(9, 14, 7, 59))
	if sent() != 0 {
		t.Fatalf("%d digests before the first moment", sent())
	}
	tick(at(9, 14, 8, 0))
	if sent() != 1 {
		t.Fatalf("%d digests at the first moment, want 1", sent())
	}
	for day := 15; day <= 20; day++ {
		tick(at(9, day, 12, 0))
		if day == 17 {
			// A restart mid-week: the new runner sends nothing again.
			runner = digest.NewRunner(cfg, e.Snapshot, st, opts)
			tick(at(9, 17, 12, 1))
		}
		if day == 18 {
			record("relationships", 20, at(9, 18, 10, 0))
		}
	}
	if sent() != 1 {
		t.Fatalf("%d digests during the week, want 1", sent())
	}
	// Stopped from Sunday to Monday 09:30: the start sends the 08:00
	// digest once, late.
	clk.Set(at(9, 21, 9, 30))
	runner = digest.NewRunner(cfg, e.Snapshot, st, opts)
	tick(at(9, 21, 9, 30))
	tick(at(9, 21, 9, 31))
	mu.Lock()
	got := slices.Clone(posts)
	mu.Unlock()
	if sent() != 2 || len(got) != 2 {
		t.Fatalf("%d mails and %d posts after the second Monday, want 2 each", sent(), len(got))
	}
	at2, failures, _, err := st.DigestRecord(ctx, "weekly")
	if err != nil || !at2.Equal(at(9, 21, 8, 0)) || failures != 0 {
		t.Errorf("record: %v, %d failures, %v; want the 21st at 08:00", at2, failures, err)
	}

	// The second mail, parsed back: its text exactly as the golden file.
	m := smtpSrv.Messages()[1]
	if m.Authenticated != "kpi" || !m.TLS {
		t.Errorf("the mail came without TLS or AUTH: %+v", m)
	}
	text, html, images := mailParts(t, m.Data)
	goldenFile(t, "testdata/digest_week.txt", []byte(text))
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got[1], "", "  "); err != nil {
		t.Fatal(err)
	}
	goldenFile(t, "testdata/digest_week.json", append(pretty.Bytes(), '\n'))
	for _, want := range []string{"guest_posts", "behind → missed", "on track → ahead", "6 by 2026-09-16 — missed"} {
		if !strings.Contains(text, want) {
			t.Errorf("the digest does not say %q", want)
		}
	}
	renderMail(t, html, images)
}

func itoa(n int) string { return strconv.Itoa(n) }

// goldenFile compares got with a file, or writes it with -update.
func goldenFile(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test ./e2e -run %s -update writes it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", file, got, want)
	}
}

// mailParts reads a digest mail back (fakesmtp.Parse): its text and HTML,
// and its inline images by Content-ID.
func mailParts(t *testing.T, data []byte) (text, html string, images map[string][]byte) {
	t.Helper()
	_, parts := fakesmtp.Parse(t, data)
	images = map[string][]byte{}
	for _, p := range parts {
		ct, _, _ := mime.ParseMediaType(p.Type)
		switch ct {
		case "text/plain":
			text = strings.ReplaceAll(string(p.Body), "\r\n", "\n")
		case "text/html":
			html = strings.ReplaceAll(string(p.Body), "\r\n", "\n")
		case "image/png":
			images[strings.Trim(p.ContentID, "<>")] = p.Body
		default:
			t.Errorf("an unexpected part %s", ct)
		}
	}
	return text, html, images
}

// renderMail shows the mail's HTML in headless Chromium as a mail client
// would, each cid: image resolved to its part (as a data: URI), checks that
// every image loaded, and keeps a screenshot for README with -update.
func renderMail(t *testing.T, html string, images map[string][]byte) {
	t.Helper()
	cids := regexp.MustCompile(`cid:([^"]+)`)
	missing := 0
	resolved := cids.ReplaceAllStringFunc(html, func(ref string) string {
		img, ok := images[strings.TrimPrefix(ref, "cid:")]
		if !ok {
			missing++
			return ref
		}
		return "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
	})
	if missing > 0 || len(images) == 0 {
		t.Fatalf("%d cid: references name no part (%d images)", missing, len(images))
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "mail.html")
	if err := os.WriteFile(page, []byte(resolved), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t, chromedp.WindowSize(800, 1200))
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()
	if err := chromedp.Do(ctx, chromedp.Navigate("file://"+page)); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
	if err != nil {
		t.Fatal(err)
	}
	total, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.images.length`))
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.images).filter(i => i.complete && i.naturalWidth > 0).length`))
	if err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if total != len(images) || loaded != total || !strings.Contains(title, "KPI digest") {
		t.Errorf("Chromium shows %d of %d images loaded (want %d), title %q", loaded, total, len(images), title)
	}
	if *update {
		if err := os.WriteFile("../docs/digest-mail.png", shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// `collector digest`: --dry-run prints the digest and where it goes (no
// webhook URL), sends nothing and records nothing; without it the digest is
// posted and recorded; a webhook that refuses it exits 1 without showing
// its URL. The daemon exposes kpi_digest_sent_total and
// kpi_digest_failures_in_a_row for it, which promtool accepts.
func TestDigestCommand(t *testing.T) {
	var mu sync.Mutex
	var posts [][]byte
	refuse := false
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if refuse {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message": "Unknown Webhook", "code": 10015}`)
			return
		}
		posts = append(posts, body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, `plan: {name: cli, goal: networking, timezone: UTC, start: 2026-07-01, end: 2027-06-30}
channels:
  offline: {type: manual, credentials: {token: "${E2E_RECORD_TOKEN}"}}
kpis:
  - {name: relationships, channel: offline, metric: relationships, count: growth, milestones: [{due: 2027-06-30, target: 100}]}
digests:
  weekly:
    schedule: "0 8 * * MON"
    webhooks: [{type: discord, url: "`+hook.URL+`/api/webhooks/1/cli-secret-token"}]
`)
	storage := filepath.Join(dir, "data")
	posted := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(posts)
	}
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(binary, append([]string{args[0], "--config.file=" + cfg, "--storage.path=" + storage}, args[1:]...)...)
		cmd.Env = env()
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if err != nil {
			code = cmd.ProcessState.ExitCode()
		}
		return out.String(), errOut.String(), code
	}
	if _, e, code := run("record", "--channel=offline", "--metric=relationships", "--value=3"); code != 0 {
		t.Fatalf("record: %s", e)
	}
	out, e, code := run("digest", "--name=weekly", "--dry-run", "--web.external-url=https://kpi.acme.example")
	if code != 0 || !strings.Contains(out, "KPI digest") || !strings.Contains(out, "relationships: 3 (new in this digest)") ||
		!strings.Contains(out, "It would go to:\n  discord webhook 1\n") || !strings.Contains(out, "https://kpi.acme.example/") {
		t.Errorf("--dry-run exited %d:\n%s%s", code, out, e)
	}
	if strings.Contains(out+e, "cli-secret-token") || posted() != 0 {
		t.Errorf("--dry-run showed the URL or posted (%d posts)", posted())
	}
	if _, e, code := run("digest", "--name=monthly"); code != 1 || !strings.Contains(e, `no digest "monthly"`) {
		t.Errorf("an unknown digest: exit %d, %s", code, e)
	}
	if _, e, code := run("digest", "--name=weekly", "--web.external-url=kpi.acme.example"); code != 2 || !strings.Contains(e, "not an http or https URL") {
		t.Errorf("a bad external URL: exit %d, %s", code, e)
	}
	out, e, code = run("digest", "--name=weekly")
	if code != 0 || posted() != 1 || !strings.Contains(out, "Digest weekly sent to 1 destination(s).") {
		t.Fatalf("digest exited %d with %d posts: %s%s", code, posted(), out, e)
	}
	mu.Lock()
	refuse = true
	mu.Unlock()
	_, e, code = run("digest", "--name=weekly")
	if code != 1 || !strings.Contains(e, "Unknown Webhook") || strings.Contains(e, "cli-secret-token") || strings.Contains(e, hook.URL) {
		t.Errorf("a refused digest: exit %d, %s", code, e)
	}

	// The daemon counts digests from the store's record: one failure in a
	// row so far.
	d := start(t, cfg, storage)
	resp, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`kpi_digest_sent_total{digest="weekly",result="failure"} 0`,
		`kpi_digest_sent_total{digest="weekly",result="success"} 0`,
		`kpi_digest_failures_in_a_row{digest="weekly"} 1`,
	} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	promtoolCheck(t, string(raw))
}
