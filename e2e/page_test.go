package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/internal/browsertest"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// The status page in a real browser (headless Chromium): it loads, logs no
// console error, shows every KPI, and renders to a screenshot at a phone's
// width.
func TestStatusPageInChromium(t *testing.T) {
	browser := browsertest.Path(t)
	api := fakeapi.New()
	defer api.Close()
	dir := t.TempDir()
	d, _ := startCollected(t, api, dir, filepath.Join(dir, "data"))
	flags := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--no-first-run", "--disable-quic", "--user-data-dir=" + filepath.Join(dir, "profile"),
		"--enable-logging=stderr", "--v=0", "--window-size=412,915"}
	url := "http://" + d.addr + "/"

	dump := exec.Command(browser, append(flags, "--dump-dom", url)...)
	var dom, logs strings.Builder
	dump.Stdout, dump.Stderr = &dom, &logs
	if err := dump.Run(); err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, logs.String())
	}
	for _, want := range []string{"reliability", "subs", "gen_views", "<svg", "polyline"} {
		if !strings.Contains(dom.String(), want) {
			t.Errorf("the page as Chromium built it has no %q", want)
		}
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "CONSOLE") || strings.Contains(line, "Uncaught") || strings.Contains(line, "Failed to load resource") {
			t.Errorf("console: %s", line)
		}
	}

	shot := filepath.Join(dir, "page.png")
	snap := exec.Command(browser, append(flags, "--screenshot="+shot, url)...)
	if out, err := snap.CombinedOutput(); err != nil {
		t.Fatalf("chromium --screenshot: %v\n%s", err, out)
	}
	fi, err := os.Stat(shot)
	if err != nil || fi.Size() < 10_000 {
		t.Errorf("the screenshot is missing or nearly empty: %v %v", fi, err)
	}
	if os.Getenv("KPI_KEEP_SCREENSHOT") != "" {
		data, _ := os.ReadFile(shot)
		os.WriteFile(os.Getenv("KPI_KEEP_SCREENSHOT"), data, 0o644)
	}
}
