package collectors

import (
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// fake is an httptest server for the odd case the shared fake
// (internal/fakeapi) does not cover; it remembers every request it got.
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

func TestMain(m *testing.M) {
	// Retries wait milliseconds here, not seconds.
	RetryBase, RetryCap = time.Millisecond, 5*time.Millisecond
	os.Exit(m.Run())
}

// collect builds the collector of ch against the fake and runs it once,
// counting requests by code as the engine does.
func collect(t *testing.T, ch *config.Channel, accounts []string) (Result, map[string]int) {
	t.Helper()
	return collectAt(t, ch, accounts, nil)
}

// collectAt is collect with the collector's clock at now (nil: time.Now).
func collectAt(t *testing.T, ch *config.Channel, accounts []string, now func() time.Time) (Result, map[string]int) {
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
	}, NewLimiter()), Now: now})
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

func mapOrEmpty(m map[string]Reason) map[string]Reason {
	if m == nil {
		return map[string]Reason{}
	}
	return m
}

// newAPI starts the shared fake of every channel API.
func newAPI(t *testing.T) *fakeapi.Server {
	s := fakeapi.New()
	t.Cleanup(s.Close)
	return s
}

// failFor switches the fake's APIs into the given failure modes for the rest
// of the test.
func failFor(t *testing.T, api *fakeapi.Server, modes map[fakeapi.API]string) {
	t.Helper()
	for a, m := range modes {
		api.Fail(a, m)
		t.Cleanup(func() { api.Fail(a, "") })
	}
}

// expectResult compares a run's readings and reasons with the wanted ones,
// and the first error's text with wantText where given.
func expectResult(t *testing.T, res Result, wantReadings []Reading, wantErrors map[string]Reason, wantText string) {
	t.Helper()
	if !reflect.DeepEqual(res.Readings, wantReadings) {
		t.Errorf("readings:\n got %v\nwant %v", res.Readings, wantReadings)
	}
	if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(wantErrors)) {
		t.Errorf("errors: got %v, want %v (%v)", got, wantErrors, res.Errors)
	}
	if wantText != "" && (len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Error(), wantText)) {
		t.Errorf("%v does not say %q", res.Errors, wantText)
	}
}
