package e2e

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/kpi-collector/kpi-collector/internal/browsertest"
)

// Recording from the status page, in headless Chromium driven over the
// DevTools protocol: the token is entered once, a number recorded through a
// manual KPI's form shows in the value and status after the page reloads,
// letters and a wrong token are refused with a message, and the console
// stays free of errors. The page runs under its strict Content-Security-Policy.
func TestRecordFromTheStatusPage(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "plan.yml")
	writePlan(t, cfg, `plan: {name: page, goal: networking, timezone: UTC, start: 2026-07-01, end: 2027-06-30}
channels:
  offline: {type: manual, credentials: {token: "${E2E_RECORD_TOKEN}"}}
kpis:
  - {name: relationships, channel: offline, metric: relationships, count: growth, milestones: [{due: 2027-06-30, target: 1000}]}
`)
	d := start(t, cfg, filepath.Join(dir, "data"))

	ctx := browsertest.New(t)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	defer cancelTimeout()

	var mu sync.Mutex
	var consoleErrors []string
	_ = chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			mu.Lock()
			consoleErrors = append(consoleErrors, e.ExceptionDetails.Text)
			mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				mu.Lock()
				consoleErrors = append(consoleErrors, string(e.Type))
				mu.Unlock()
			}
		}
	})

	url := "http://" + d.addr + "/"
	const msg = chromedp.CSS(`form.record .msg`)
	// record types number into the form and submits it.
	record := func(number string) []chromedp.Action[chromedp.Void] {
		return []chromedp.Action[chromedp.Void]{
			func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
				_, err := chromedp.Evaluate[string](`document.querySelector("form.record input[name=number]").value = "`+number+`"`)(ctx, tg)
				return chromedp.Void{}, err
			},
			chromedp.Click(chromedp.CSS(`form.record button`)),
			chromedp.Sleep(100 * time.Millisecond),
		}
	}
	steps := append([]chromedp.Action[chromedp.Void]{
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`#token-box`)),
		chromedp.SetValue(chromedp.CSS(`#token`), recordToken),
		chromedp.Click(chromedp.CSS(`#token-use`)),
	}, record("abc")...)
	steps = append(steps, chromedp.Sleep(200*time.Millisecond))
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
	// Letters are refused in the page, before anything is sent.
	if message, err := chromedp.Run(ctx, chromedp.Text(msg)); err != nil || message != "give a number, 0 or more" {
		t.Errorf("letters: the page says %q (%v)", message, err)
	}
	// An empty value and a date in the future are refused in the page too.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("form.record input[name=number]").value = ""`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.record button`)), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if message, _ := chromedp.Run(ctx, chromedp.Text(msg)); message != "give a number, 0 or more" {
		t.Errorf("an empty value: the page says %q", message)
	}
	setDate := func(v string) error {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("form.record input[name=date]").value = "`+v+`"`))
		return err
	}
	if err := setDate("2099-01-01"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, append(record("2"), chromedp.Sleep(200*time.Millisecond))...); err != nil {
		t.Fatal(err)
	}
	if message, _ := chromedp.Run(ctx, chromedp.Text(msg)); message != "the date is in the future" {
		t.Errorf("a future date: the page says %q", message)
	}
	if err := setDate(""); err != nil {
		t.Fatal(err)
	}
	// A number is recorded; the page reloads and shows it.
	if err := chromedp.Do(ctx, record("3")...); err != nil {
		t.Fatal(err)
	}
	var value, status string
	deadline := time.Now().Add(20 * time.Second)
	for {
		value, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.card .row b`)))
		status, _ = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.card .status`)))
		if value == "3" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if value != "3" || status == "no_data" {
		t.Errorf("after recording 3: value %q, status %q", value, status)
	}
	// A wrong token is refused with the API's message.
	steps = append([]chromedp.Action[chromedp.Void]{
		chromedp.WaitVisible(chromedp.CSS(`#token-box`)),
		chromedp.SetValue(chromedp.CSS(`#token`), "not-the-token"),
		chromedp.Click(chromedp.CSS(`#token-use`)),
	}, record("1")...)
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
	var message string
	for deadline = time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if message, _ = chromedp.Run(ctx, chromedp.Text(msg)); strings.Contains(message, "credentials.token") {
			break
		}
	}
	if !strings.Contains(message, "credentials.token") {
		t.Errorf("a wrong token: the page says %q", message)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(consoleErrors) > 0 {
		t.Errorf("console errors: %v", consoleErrors)
	}
}
