package collectors

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

// fake is an httptest server that replays an API's documented answers and
// remembers every request it got.
type fake struct {
	*httptest.Server
	mu       sync.Mutex
	requests []*http.Request
}

func newFake(t *testing.T, h http.HandlerFunc) *fake {
	t.Helper()
	f := &fake{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, r.Clone(r.Context()))
		f.mu.Unlock()
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fake) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// testdata reads a recorded API answer from testdata/<channel>/.
func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func reply(w http.ResponseWriter, code int, body []byte, headers ...string) {
	for i := 0; i+1 < len(headers); i += 2 {
		w.Header().Set(headers[i], headers[i+1])
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	}
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// collect builds the collector of ch against the fake and runs it once,
// counting requests by code as the engine does.
func collect(t *testing.T, ch *config.Channel, accounts []string) (Result, map[string]int) {
	t.Helper()
	var mu sync.Mutex
	codes := map[string]int{}
	if ch.Name == "" {
		ch.Name = ch.Type
	}
	if ch.Timeout == 0 {
		ch.Timeout = 10 * time.Second
	}
	c, err := New(Env{Channel: ch, Client: NewHTTPClient(ch.Timeout, func(code string) {
		mu.Lock()
		codes[code]++
		mu.Unlock()
	})})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Collect(t.Context(), accounts)
	sort.Slice(res.Readings, func(i, j int) bool {
		a, b := res.Readings[i], res.Readings[j]
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		return a.Metric < b.Metric
	})
	return res, codes
}

// reasons lists the reason of each error with its accounts, for comparing.
func reasons(res Result) map[string]Reason {
	out := map[string]Reason{}
	for _, e := range res.Errors {
		if len(e.Accounts) == 0 {
			out[""] = e.Reason
		}
		for _, a := range e.Accounts {
			key := a
			if e.Metric != "" {
				key += "/" + e.Metric
			}
			out[key] = e.Reason
		}
	}
	return out
}
