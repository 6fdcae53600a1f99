package peers

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	stockholm, _ = time.LoadLocation("Europe/Stockholm")
	planStart    = time.Date(2026, 7, 1, 0, 0, 0, 0, stockholm)
	now          = time.Date(2026, 9, 15, 12, 0, 0, 0, stockholm)
)

// wholePlan is a plan of n KPIs evaluated, as one unsharded replica shows
// it; shardOf says which of count shards evaluates each.
func wholePlan(n, count int) *snapshot.Snapshot {
	s := &snapshot.Snapshot{
		At: now,
		Plan: snapshot.PlanInfo{
			Name: "acme", Goal: "networking", Timezone: "Europe/Stockholm", Start: "2026-07-01", End: "2026-12-31",
			StartTime: planStart, EndTime: time.Date(2027, 1, 1, 0, 0, 0, 0, stockholm),
			ShardKPIs: make([]int, count),
		},
	}
	for i := range n {
		due := time.Date(2026, 10, 1, 0, 0, 0, 0, stockholm)
		s.KPIs = append(s.KPIs, snapshot.KPIState{
			KPI: &snapshot.KPI{Position: i, Name: fmt.Sprintf("kpi_%03d", i), Channel: fmt.Sprintf("ch%d", i%4), Account: fmt.Sprintf("acct%d", i), Metric: "followers", Count: vocab.Growth, Tolerance: 0.05, Milestones: []vocab.Milestone{{Due: due, Target: float64(100 + i)}}},
			Evaluation: plan.Evaluation{
				Status: vocab.OnTrack, HasValue: true, Value: float64(10 * i), Expected: float64(10*i + 1),
				HasTarget: true, Target: float64(100 + i), Due: due, HasPace: i%2 == 0, DailyGrowth: 1.5, Forecast: float64(20 * i),
			},
			Recent: snapshot.SparkOf([]plan.Point{{Time: planStart, Value: 0}, {Time: now, Value: float64(10 * i)}}),
		})
		s.Plan.ShardKPIs[shardOf(i, count)]++
	}
	for c := range 4 {
		s.Channels = append(s.Channels, snapshot.ChannelState{Name: fmt.Sprintf("ch%d", c), Type: "bluesky", Scheduled: true, Ran: true, Success: true,
			LastSuccess: now.Add(-time.Duration(c) * time.Minute), Requests: map[string]float64{"200": 1}})
	}
	return s
}

func shardOf(position, count int) int { return (position * 7 / 3) % count }

// shardPart is shard index's own snapshot of the whole plan.
func shardPart(whole *snapshot.Snapshot, count, index int) *snapshot.Snapshot {
	part := *whole
	part.Plan.ShardIndex = index
	part.KPIs = nil
	for _, k := range whole.KPIs {
		if shardOf(k.Position, count) == index {
			part.KPIs = append(part.KPIs, k)
		}
	}
	part.Channels = nil
	for _, c := range whole.Channels {
		c.Requests = map[string]float64{"200": 1}
		c.LastSuccess = c.LastSuccess.Add(-time.Duration(index) * time.Hour)
		part.Channels = append(part.Channels, c)
	}
	return &part
}

// replicas serves each shard's part of the whole plan on its own server,
// counting the requests and checking the credentials passed on.
type replicas struct {
	urls     []string
	servers  []*httptest.Server
	requests atomic.Int64
	auth     atomic.Value
}

func serveShards(t *testing.T, whole *snapshot.Snapshot, count int, override map[int]http.HandlerFunc) *replicas {
	t.Helper()
	r := &replicas{}
	for i := range count {
		part := shardPart(whole, count, i)
		h := override[i]
		if h == nil {
			h = func(w http.ResponseWriter, req *http.Request) {
				r.requests.Add(1)
				r.auth.Store(req.Header.Get("Authorization"))
				if req.URL.Path != PartPath {
					http.NotFound(w, req)
					return
				}
				ServePart(w, req, part)
			}
		}
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		r.servers = append(r.servers, srv)
		r.urls = append(r.urls, srv.URL)
	}
	return r
}

func names(s *snapshot.Snapshot) string {
	var b strings.Builder
	for _, k := range s.KPIs {
		b.WriteString(k.Name + " ")
	}
	return b.String()
}

// Every replica shows the whole plan, in the plan's order, whichever shard
// it is; the channels' health is over every shard.
func TestWholeOnAnyReplica(t *testing.T) {
	whole := wholePlan(40, 3)
	reps := serveShards(t, whole, 3, nil)
	for self := range 3 {
		p := &Peers{URLs: reps.urls, Self: self, Client: NewClient(), Now: func() time.Time { return now }}
		got, missing := p.Whole(context.Background(), shardPart(whole, 3, self), "Basic YWRtaW46czNjcmV0")
		if missing != nil {
			t.Fatalf("shard %d: missing %v", self, missing)
		}
		if names(got) != names(whole) {
			t.Errorf("shard %d shows\n%s\nwant\n%s", self, names(got), names(whole))
		}
		var a, b bytes.Buffer
		_ = report.WriteJSON(&a, report.Build(got))
		_ = report.WriteJSON(&b, report.Build(whole))
		if a.String() != b.String() {
			t.Errorf("shard %d: the merged report differs from the whole plan's:\n%s", self, a.String())
		}
		if c := got.Channels[2]; c.Requests["200"] != 3 || !c.LastSuccess.Equal(now.Add(-2*time.Minute-2*time.Hour)) {
			t.Errorf("shard %d: channel ch2 merged as %+v, want 3 requests and the stalest shard's last success", self, c)
		}
	}
	if got := reps.auth.Load(); got != "Basic YWRtaW46czNjcmV0" {
		t.Errorf("the peers were asked with Authorization %q, want the caller's", got)
	}
}

// A shard that does not answer in time, answers something else than its
// part, or points elsewhere is named with the KPIs it holds; the rest of the
// plan is shown, and the caller's credentials go nowhere else.
func TestMissingShardsAreNamed(t *testing.T) {
	var foreign atomic.Int64
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		foreign.Add(1)
		ServePart(w, httptest.NewRequest(http.MethodGet, PartPath+"?form=states", nil), wholePlan(3, 3))
	}))
	defer elsewhere.Close()
	release := make(chan struct{})
	defer close(release)
	cases := []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"silent", func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}, "it did not answer within 2s"},
		{"proxy page", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>502 Bad Gateway</html>")
		}, "it answered 200 OK (text/html), not its part of the plan"},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL+PartPath+"?form=states", http.StatusTemporaryRedirect)
		}, "it answered 307 Temporary Redirect (text/html), not its part of the plan"},
		{"torn", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", StatesType)
			_, _ = w.Write([]byte{0x1f, 0xff, 0x00})
		}, "its answer could not be read"},
		{"another release", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/vnd.kpi-collector.part-states+gob")
			_, _ = w.Write([]byte{0x1f, 0xff, 0x00})
		}, "it answered 200 OK (application/vnd.kpi-collector.part-states+gob), not its part of the plan"},
		{"states without their KPIs", func(w http.ResponseWriter, _ *http.Request) {
			// The shape of a state before the KPI's definition stood apart:
			// gob fills the evaluation and leaves the definition out.
			w.Header().Set("Content-Type", StatesType)
			enc := gob.NewEncoder(w)
			_ = enc.Encode(header{Shard: 2, KPIs: 1})
			_ = enc.Encode(struct {
				Name       string
				Evaluation plan.Evaluation
			}{"kpi_002", plan.Evaluation{Status: vocab.OnTrack}})
		}, "its answer could not be read: a KPI's state came without its definition"},
		{"refused", nil, "it could not be reached"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			whole := wholePlan(30, 3)
			reps := serveShards(t, whole, 3, map[int]http.HandlerFunc{2: tc.handler})
			if tc.handler == nil {
				reps.servers[2].Close()
			}
			p := &Peers{URLs: reps.urls, Self: 0, Client: NewClient(), Timeout: 2 * time.Second}
			got, missing := p.Whole(context.Background(), shardPart(whole, 3, 0), "Bearer s3cret")
			if len(missing) != 1 || missing[0].Shard != 2 || missing[0].KPIs != whole.Plan.ShardKPIs[2] || !strings.HasPrefix(missing[0].Error, tc.want) {
				t.Fatalf("missing = %+v, want shard 2 with %d KPIs: %q", missing, whole.Plan.ShardKPIs[2], tc.want)
			}
			if want := len(whole.KPIs) - whole.Plan.ShardKPIs[2]; len(got.KPIs) != want {
				t.Errorf("%d KPIs shown, want the %d of the shards that answered", len(got.KPIs), want)
			}
			if foreign.Load() != 0 {
				t.Errorf("a host outside --shard.peers was asked")
			}
		})
	}
}

// Parts are reused for the TTL: a page refreshed by many behind a Service
// asks the peers once, and callers that come together share one round.
func TestPartsAreReusedBriefly(t *testing.T) {
	whole := wholePlan(12, 3)
	reps := serveShards(t, whole, 3, nil)
	var mu sync.Mutex
	clock := now
	p := &Peers{URLs: reps.urls, Self: 1, Client: NewClient(), TTL: 5 * time.Second, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }}
	local := shardPart(whole, 3, 1)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { p.Whole(context.Background(), local, "") })
	}
	wg.Wait()
	if n := reps.requests.Load(); n != 2 {
		t.Errorf("20 callers together made %d requests, want 2 (one per peer)", n)
	}
	mu.Lock()
	clock = clock.Add(4 * time.Second)
	mu.Unlock()
	p.Whole(context.Background(), local, "")
	if n := reps.requests.Load(); n != 2 {
		t.Errorf("within the TTL: %d requests, want still 2", n)
	}
	mu.Lock()
	clock = clock.Add(2 * time.Second)
	mu.Unlock()
	p.Whole(context.Background(), local, "")
	if n := reps.requests.Load(); n != 4 {
		t.Errorf("after the TTL: %d requests, want 4", n)
	}
}

// The streamed document is, byte for byte, the one the whole plan's report
// writes; a shard that stops half-way is named with the KPIs that did not
// come, and the document stays well-formed JSON.
func TestStreamedJSON(t *testing.T) {
	whole := wholePlan(50, 3)
	var want bytes.Buffer
	_ = report.WriteJSON(&want, report.Build(whole))

	reps := serveShards(t, whole, 3, nil)
	p := &Peers{URLs: reps.urls, Self: 1, Client: NewClient()}
	var got bytes.Buffer
	if err := p.WriteJSON(context.Background(), &got, shardPart(whole, 3, 1), ""); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("streamed:\n%s\nwant:\n%s", got.String(), want.String())
	}

	// Shard 2 sends its header and three rows, then its connection drops.
	torn := func(w http.ResponseWriter, r *http.Request) {
		var full bytes.Buffer
		ServePart(&recorder{ResponseWriter: w, body: &full}, r, shardPart(whole, 3, 2))
		lines := 0
		cut := 0
		for i, c := range full.Bytes() {
			if c == '}' && i+1 < len(full.Bytes()) && full.Bytes()[i+1] != ',' {
				lines++
				if lines == 4 { // the header line's } and three rows' last }
					cut = i + 1
					break
				}
			}
		}
		_, _ = w.Write(full.Bytes()[:cut])
	}
	reps = serveShards(t, whole, 3, map[int]http.HandlerFunc{2: torn})
	p = &Peers{URLs: reps.urls, Self: 0, Client: NewClient()}
	got.Reset()
	if err := p.WriteJSON(context.Background(), &got, shardPart(whole, 3, 0), ""); err != nil {
		t.Fatal(err)
	}
	var doc report.Document
	if err := json.Unmarshal(got.Bytes(), &doc); err != nil {
		t.Fatalf("the partial document is not JSON: %v\n%s", err, got.String())
	}
	if !doc.Partial || len(doc.Missing) != 1 || doc.Missing[0].Shard != 2 || !strings.HasPrefix(doc.Missing[0].Error, "it stopped after") {
		t.Fatalf("partial %v, missing %+v; want shard 2 named", doc.Partial, doc.Missing)
	}
	if shown := len(doc.KPIs) + doc.Missing[0].KPIs; shown != len(whole.KPIs) {
		t.Errorf("%d rows shown and %d named missing, want %d in all", len(doc.KPIs), doc.Missing[0].KPIs, len(whole.KPIs))
	}
}

// recorder keeps what a handler writes, with its headers set on w.
type recorder struct {
	http.ResponseWriter
	body *bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }

// The whole plan read back from its states form reports exactly as it was
// written, with its times in the plan's zone on both sides of a DST change
// (gob keeps only offsets), and the shards missing from it.
func TestWholeReadsBack(t *testing.T) {
	whole := wholePlan(25, 3)
	missing := []report.Missing{{Shard: 2, KPIs: 8, Error: "it did not answer within 1s"}}
	rec := httptest.NewRecorder()
	WriteWhole(rec, whole, missing)
	got, gotMissing, err := ReadWhole(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	if got.Plan.EndTime.Location().String() != "Europe/Stockholm" {
		t.Errorf("the plan's end is in %v, want its zone", got.Plan.EndTime.Location())
	}
	var a, b bytes.Buffer
	_ = report.WriteJSON(&a, report.Build(got))
	_ = report.WriteJSON(&b, report.Build(whole))
	if a.String() != b.String() {
		t.Errorf("read back:\n%s\nwant:\n%s", a.String(), b.String())
	}
	if len(gotMissing) != 1 || gotMissing[0] != missing[0] {
		t.Errorf("missing read back as %+v", gotMissing)
	}
	if _, _, err := ReadWhole(strings.NewReader("<html>")); err == nil {
		t.Error("a page that is not a plan was read as one")
	}
}

// The states form carries every field of a KPI's state: one added to
// snapshot.KPIState and not to wireState would be lost between replicas.
func TestWireStateHasEveryField(t *testing.T) {
	wire := reflect.TypeFor[wireState]()
	for _, f := range reflect.VisibleFields(reflect.TypeFor[snapshot.KPIState]()) {
		if len(f.Index) > 1 {
			continue // promoted: carried with its struct
		}
		want := f.Type
		if f.Name == "KPI" {
			want = want.Elem() // by value on the wire
		}
		if w, ok := wire.FieldByName(f.Name); !ok || w.Type != want {
			t.Errorf("wireState lacks %s %s", f.Name, want)
		}
	}
	if a, b := wire.NumField(), reflect.TypeFor[snapshot.KPIState]().NumField(); a != b {
		t.Errorf("wireState has %d fields, KPIState %d", a, b)
	}
}
