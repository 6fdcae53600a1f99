// Package browsertest starts headless Chromium for the tests that check
// what the project serves in a real browser: the status page, the KPI page,
// the charts, the HTML report and the digest's mail. One place says how it
// is found and with which flags it runs on a closed network.
package browsertest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kpi-collector/kpi-collector/internal/testtool"
)

// Path is Chromium's executable. Without one the test is skipped, except in
// CI, where .ci/run installs it and its absence fails the test.
func Path(t testing.TB) string {
	t.Helper()
	return testtool.Path(t, "chromium", "chromium")
}

// New starts headless Chromium with a profile of its own, under chromedp,
// and returns its context; the browser is stopped when the test ends. The
// flags keep it from reaching for the network by itself (updates, QUIC),
// which a closed network refuses many times over. extra adds options, such
// as a window size.
func New(t testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(Path(t)), chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true), chromedp.UserDataDir(filepath.Join(t.TempDir(), "profile")))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, extra...)...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}
