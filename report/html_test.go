package report

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/net/html"

	"github.com/kpi-collector/kpi-collector/internal/browsertest"
	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// monthsSnapshot is a plan on 2026-10-20, three and a half months in: a
// YouTube channel read daily, a blog read weekly and relationships recorded
// by hand (one KPI's name is markup), each evaluated by the plan as the
// engine would, with its values spread over the plan as the snapshot keeps
// them.
func monthsSnapshot() *snapshot.Snapshot {
	loc, _ := time.LoadLocation("Europe/Stockholm")
	start, end := time.Date(2026, 7, 1, 0, 0, 0, 0, loc), time.Date(2027, 1, 1, 0, 0, 0, 0, loc)
	at := time.Date(2026, 10, 20, 12, 0, 0, 0, loc)
	due := func(m time.Month, d int) time.Time { return time.Date(2026, m, d+1, 0, 0, 0, 0, loc) }
	every := func(step time.Duration, base, perDay float64) []plan.Point {
		var out []plan.Point
		for t := start.Add(6 * time.Hour); !t.After(at); t = t.Add(step) {
			out = append(out, plan.Point{Time: t, Value: math.Round(base + perDay*t.Sub(start).Hours()/24)})
		}
		return out
	}
	byHand := []plan.Point{{Time: start, Value: 0}}
	for i, d := range []time.Time{time.Date(2026, 7, 3, 15, 30, 0, 0, loc), time.Date(2026, 7, 20, 15, 30, 0, 0, loc), time.Date(2026, 8, 14, 15, 30, 0, 0, loc), time.Date(2026, 9, 2, 15, 30, 0, 0, loc), time.Date(2026, 10, 12, 15, 30, 0, 0, loc)} {
		byHand = append(byHand, plan.Point{Time: d, Value: float64(2*i + 1)})
	}
	type kpi struct {
		name, channel, account, metric string
		count                          vocab.Count
		manual                         bool
		ms                             []vocab.Milestone
		readings                       []plan.Point
	}
	s := &snapshot.Snapshot{At: at,
		Plan:     snapshot.PlanInfo{Name: "acme-2026-h2", Goal: "thought_leadership", Timezone: "Europe/Stockholm", Start: "2026-07-01", End: "2026-12-31", StartTime: start, EndTime: end},
		Channels: []snapshot.ChannelState{{Name: "blog", Type: "feed", Scheduled: true}, {Name: "offline", Type: "manual"}, {Name: "youtube", Type: "youtube", Scheduled: true}},
	}
	for _, k := range []kpi{
		{"youtube_subscribers", "youtube", "UC_x5XG1OV2P6uZZ5FSM9Ttw", "subscribers", vocab.Total, false,
			[]vocab.Milestone{{Due: due(7, 31), Target: 1200}, {Due: due(9, 30), Target: 1500}, {Due: due(12, 31), Target: 2000}}, every(24*time.Hour, 1000, 3.2)},
		{"youtube_views", "youtube", "UC_x5XG1OV2P6uZZ5FSM9Ttw", "views", vocab.Growth, false,
			[]vocab.Milestone{{Due: due(9, 30), Target: 40000}, {Due: due(12, 31), Target: 100000}}, every(24*time.Hour, 250000, 520)},
		{"blog_articles", "blog", "https://blog.acme.example/feed.xml", "posts", vocab.Growth, false,
			[]vocab.Milestone{{Due: due(7, 31), Target: 8}, {Due: due(10, 31), Target: 20}}, every(7*24*time.Hour, 40, 0.13)},
		{"new_relationships", "offline", "default", "relationships", vocab.Growth, true,
			[]vocab.Milestone{{Due: due(7, 31), Target: 5}, {Due: due(9, 30), Target: 12}}, byHand},
		{"<script>alert(1)</script> & co", "offline", "default", "talks", vocab.Total, true,
			[]vocab.Milestone{{Due: due(12, 31), Target: 4}}, nil},
	} {
		zero := 0.0
		pk := plan.KPI{Count: k.count, Tolerance: 0.05, Milestones: k.ms, KeptByHand: k.manual, Interval: 24 * time.Hour}
		if k.manual {
			pk.Baseline = &zero
		}
		ev := plan.Evaluate(start, pk, k.readings, at)
		var recent []plan.Point
		for i, p := range k.readings {
			if i%8 == 0 || i == len(k.readings)-1 || k.manual {
				recent = append(recent, plan.Point{Time: p.Time, Value: p.Value - ev.Reference})
			}
		}
		s.KPIs = append(s.KPIs, snapshot.KPIState{
			KPI:        &snapshot.KPI{Name: k.name, Channel: k.channel, Account: k.account, Metric: k.metric, Count: k.count, Tolerance: 0.05, Milestones: k.ms, Manual: k.manual},
			Evaluation: ev,
			Recent:     snapshot.SparkOf(recent),
		})
	}
	return s
}

func TestHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, monthsSnapshot()); err != nil {
		t.Fatal(err)
	}
	compareGolden(t, "report.html", b.Bytes())
	selfContained(t, b.Bytes())
	for _, want := range []string{
		`<h2>offline <span class="muted">(manual)</span></h2>`,
		`<h3>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</h3>`,
		`<title>milestone: 1500 subscribers by the end of 2026-09-30, missed</title>`,
		"1 no data · 2 missed · 1 behind · 1 ahead",
	} {
		if !bytes.Contains(b.Bytes(), []byte(want)) {
			t.Errorf("the report does not hold %s", want)
		}
	}
	// Channels in order of name, each once, each KPI under its own.
	if got := regexp.MustCompile(`<h2>([a-z]+) `).FindAllStringSubmatch(b.String(), -1); len(got) != 3 || got[0][1] != "blog" || got[1][1] != "offline" || got[2][1] != "youtube" {
		t.Errorf("the channels are %v", got)
	}
}

// selfContained parses the report as HTML and fails on anything that would
// make a browser fetch or run something: a script, a frame, an object, a
// link to a style sheet, any src or srcset, a url() in CSS, an event handler.
func selfContained(t *testing.T, doc []byte) {
	t.Helper()
	z := html.NewTokenizer(bytes.NewReader(doc))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if !errors.Is(z.Err(), io.EOF) {
				t.Fatalf("the report does not parse: %v", z.Err())
			}
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			if tt == html.TextToken && strings.Contains(string(z.Text()), "url(") {
				t.Errorf("the report's CSS fetches a url(): %s", z.Text())
			}
			continue
		}
		tok := z.Token()
		switch tok.Data {
		case "script", "iframe", "object", "embed", "img", "link", "image", "use", "foreignobject", "audio", "video", "source":
			t.Errorf("the report holds a <%s>", tok.Data)
		}
		for _, a := range tok.Attr {
			if a.Key == "src" || a.Key == "srcset" || a.Key == "href" || a.Key == "xlink:href" || strings.HasPrefix(a.Key, "on") || strings.Contains(a.Val, "url(") {
				t.Errorf("the report's <%s> has %s=%q", tok.Data, a.Key, a.Val)
			}
		}
	}
}

// The report in headless Chromium over the DevTools protocol: it renders
// every chart, logs nothing (no CSP violation, no error), asks the network
// for nothing but itself, and prints to PDF a channel a page after the
// plan's. A control page with one outside image proves that the listener
// sees a request when there is one.
func TestHTMLInChromium(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	if err := WriteHTML(&b, monthsSnapshot()); err != nil {
		t.Fatal(err)
	}
	reportFile := filepath.Join(dir, "report.html")
	controlFile := filepath.Join(dir, "control.html")
	if err := os.WriteFile(reportFile, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(controlFile, []byte(`<!doctype html><title>control</title><img src="http://127.0.0.1:9/pixel.png" alt="">`), 0o600); err != nil {
		t.Fatal(err)
	}

	ctx := browsertest.New(t)

	var mu sync.Mutex
	var requests, problems []string
	if err := chromedp.Listen(ctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		case *log.EventEntryAdded:
			problems = append(problems, string(e.Entry.Level)+": "+e.Entry.Text)
		case *runtime.EventExceptionThrown:
			problems = append(problems, "exception: "+e.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			problems = append(problems, "console: "+string(e.Type))
		}
	}); err != nil {
		t.Fatal(err)
	}
	taken := func() ([]string, []string) {
		mu.Lock()
		defer mu.Unlock()
		r, p := requests, problems
		requests, problems = nil, nil
		return r, p
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	// The control: an outside image is seen.
	if err := chromedp.Do(tctx, chromedp.Navigate("file://"+controlFile), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := taken(); !strings.Contains(strings.Join(reqs, " "), "http://127.0.0.1:9/pixel.png") {
		t.Fatalf("the listener missed the control page's request: %v", reqs)
	}

	if err := chromedp.Do(tctx, chromedp.EmulateViewport(800, 1000), chromedp.Navigate("file://"+reportFile), chromedp.WaitReady(chromedp.CSS("footer"))); err != nil {
		t.Fatal(err)
	}
	charts, err := chromedp.Run(tctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll(".kpi svg")].map(s => s.getBoundingClientRect().width)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) != 5 {
		t.Errorf("%d charts rendered, want 5", len(charts))
	}
	for _, w := range charts {
		if w < 600 {
			t.Errorf("a chart is %g px wide at 800 px", w)
		}
	}
	pdf, err := chromedp.Run(tctx, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), func(p *page.PrintToPDFParams) { prefer := true; p.PreferCSSPageSize = &prefer }))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the print is not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	// The plan, then one page or more for each of the three channels.
	pages := 0
	if m := regexp.MustCompile(`/Type\s*/Pages\b[^>]*?/Count\s+(\d+)|/Count\s+(\d+)[^>]*?/Type\s*/Pages\b`).FindSubmatch(pdf); m != nil {
		pages, _ = strconv.Atoi(string(append(m[1], m[2]...)))
	}
	t.Logf("the PDF has %d pages (%d bytes)", pages, len(pdf))
	if pages < 4 {
		t.Errorf("the PDF has %d pages, want at least 4 (the plan, then a channel a page)", pages)
	}
	if *update {
		shot, err := chromedp.Run(tctx, chromedp.ScreenshotScale(chromedp.CSS(".kpi"), 1))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("..", "docs", "report-chart.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	reqs, probs := taken()
	for _, r := range reqs {
		if r != "file://"+reportFile {
			t.Errorf("the report asked for %s", r)
		}
	}
	if len(probs) > 0 {
		t.Errorf("the browser logged: %v", probs)
	}
}
