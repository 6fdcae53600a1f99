package web

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kpi-collector/kpi-collector/internal/browsertest"
)

var screenshots = flag.Bool("screenshots", false, "rewrite docs/kpi-page-*.png from the KPI page in Chromium")

// The KPI page in headless Chromium at 800 px and at a phone's 390 px: the
// chart for the width shows and the other does not, nothing is wider than
// the screen, the browser logs nothing (a Content-Security-Policy violation
// would be logged) and asks for nothing but the page and its style sheets.
func TestKPIPageInChromium(t *testing.T) {
	srv := newKPIServer(t)
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
	tctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()

	for _, tt := range []struct {
		width      int64
		shown, hid string
	}{{800, ".chart.wide", ".chart.narrow"}, {390, ".chart.narrow", ".chart.wide"}} {
		if err := chromedp.Do(tctx, chromedp.EmulateViewport(tt.width, 1000, chromedp.EmulateScale(1)),
			chromedp.Navigate(srv.URL+"/kpi/relationships"), chromedp.WaitVisible(chromedp.CSS(tt.shown+" svg"))); err != nil {
			t.Fatal(err)
		}
		state, err := chromedp.Run(tctx, chromedp.Evaluate[[]float64](`[
			document.querySelector("`+tt.shown+` svg").getBoundingClientRect().width,
			document.querySelector("`+tt.hid+`").getBoundingClientRect().height,
			document.documentElement.scrollWidth,
			document.querySelectorAll("`+tt.shown+` svg circle title").length]`))
		if err != nil {
			t.Fatal(err)
		}
		if shownW, hidH, scrollW, points := state[0], state[1], state[2], state[3]; shownW < float64(tt.width)*0.8 || hidH != 0 || scrollW > float64(tt.width) || points < 5 {
			t.Errorf("at %d px: the chart is %g px wide, the other %g px high, the page %g px wide, %g points with hover text", tt.width, shownW, hidH, scrollW, points)
		}
		if *screenshots {
			shot, err := chromedp.Run(tctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Join("..", "docs", "kpi-page-"+map[int64]string{800: "800", 390: "phone"}[tt.width]+".png")
			if err := os.WriteFile(name, shot, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, r := range requests {
		if !strings.HasPrefix(r, srv.URL+"/") {
			t.Errorf("the page asked for %s", r)
		}
	}
	if len(problems) > 0 {
		t.Errorf("the browser logged: %v", problems)
	}
}
