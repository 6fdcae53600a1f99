package chart

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kpi-collector/kpi-collector/internal/browsertest"
)

// Each chart opened on its own as an .svg file in headless Chromium, which
// parses it as XML: no parser error, the SVG namespace, a <title> for each
// point and milestone, and a size from its viewBox.
func TestSVGInChromium(t *testing.T) {
	dir := t.TempDir()
	ctx := browsertest.New(t)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[int]("1")); err != nil {
		t.Fatal(err)
	}
	tctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()
	for _, tt := range cases() {
		var b bytes.Buffer
		c := FromKPI(h2, tt.kpi, tt.at)
		if err := c.SVG(&b, Options{Width: 720, Height: 320}); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(dir, tt.name+".svg")
		if err := os.WriteFile(file, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(tctx, chromedp.Navigate("file://"+file)); err != nil {
			t.Fatal(err)
		}
		got, err := chromedp.Run(tctx, chromedp.Evaluate[[]float64](`[
			document.getElementsByTagNameNS("*", "parsererror").length,
			document.documentElement.namespaceURI === "http://www.w3.org/2000/svg" ? 1 : 0,
			document.querySelectorAll("circle > title").length,
			document.querySelectorAll("polygon > title").length,
			document.documentElement.viewBox ? document.documentElement.viewBox.baseVal.width : 0]`))
		if err != nil {
			t.Fatal(err)
		}
		points := float64(len(c.Values))
		if c.HasForecast {
			points++
		}
		if got[0] != 0 || got[1] != 1 || got[2] != points || got[3] != float64(len(c.Milestones)) || got[4] != 720 {
			t.Errorf("%s as Chromium parsed it: %v parser errors, SVG namespace %v, %v points with a title (want %v), %v milestones with one (want %d), %v wide",
				tt.name, got[0], got[1], got[2], points, got[3], len(c.Milestones), got[4])
		}
	}
}
