package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/peers"
	kpiplan "github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
	"github.com/kpi-collector/kpi-collector/web"
)

// Shards is how many replicas share the plan in BenchmarkWholePlanAPI; each
// evaluates PerShard KPIs (KPI_BENCH_SHARDS, KPI_BENCH_PER_SHARD).
var (
	Shards   = envInt("KPI_BENCH_SHARDS", 10)
	PerShard = envInt("KPI_BENCH_PER_SHARD", 100_000)
)

// BenchmarkWholePlanAPI is GET /api/v1/kpis on one replica of Shards, each
// with PerShard KPIs: the replica streams its own rows and the nine peers'
// in the plan's order. The peers are simulated: each answers its part in the
// rows form, generated as it is sent, so that the process's heap is the
// answering replica's. Reported: the time to the first byte and to the whole
// answer, and the heap the answer adds at its peak (sampled every 5 ms), garbage not yet collected
// included.
func BenchmarkWholePlanAPI(b *testing.B) {
	stockholm, _ := time.LoadLocation("Europe/Stockholm")
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, stockholm)
	now := time.Date(2026, 9, 15, 12, 0, 0, 0, stockholm)
	total := Shards * PerShard
	info := snapshot.PlanInfo{Name: "bench", Goal: "networking", Timezone: "Europe/Stockholm", Start: "2026-07-01", End: "2026-12-31",
		StartTime: start, EndTime: time.Date(2027, 1, 1, 0, 0, 0, 0, stockholm), ShardKPIs: make([]int, Shards)}
	for i := range info.ShardKPIs {
		info.ShardKPIs[i] = PerShard
	}
	// KPI at position p is shard p % Shards's.
	state := func(pos int) snapshot.KPIState {
		due := time.Date(2026, 12, 31, 0, 0, 0, 0, stockholm)
		return snapshot.KPIState{
			KPI: &snapshot.KPI{Position: pos, Name: fmt.Sprintf("kpi_%07d", pos), Channel: "youtube", Account: fmt.Sprintf("UCgen%d", pos), Metric: "subscribers", Count: vocab.Total, Tolerance: 0.05, Milestones: []vocab.Milestone{{Due: due, Target: 1000}}},
			Evaluation: kpiplan.Evaluation{Status: vocab.Behind, HasValue: true, Value: float64(pos % 900), Expected: 500, HasTarget: true, Target: 1000, Due: due,
				HasProgress: true, Progress: float64(pos%900) / 500, HasPace: true, DailyGrowth: 2, Forecast: 800},
		}
	}
	local := &snapshot.Snapshot{At: now, Plan: info}
	for i := range PerShard {
		local.KPIs = append(local.KPIs, state(i*Shards))
	}
	urls := make([]string, Shards)
	for shard := 1; shard < Shards; shard++ {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			servePeerRows(w, shard, info, now, stockholm, state)
		}))
		defer srv.Close()
		urls[shard] = srv.URL
	}
	p := &peers.Peers{URLs: urls, Self: 0, Client: peers.NewClient(), Timeout: 5 * time.Second}
	api := httptest.NewServer((&web.Server{Engine: fixedEngine{local}, Metrics: http.NotFoundHandler(), Shards: p, Logger: quiet}).Handler())
	defer api.Close()

	var firstByte, whole time.Duration
	var peak uint64
	for b.Loop() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base := ms.HeapAlloc
		var max atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			t := time.NewTicker(5 * time.Millisecond)
			defer t.Stop()
			// runtime/metrics reads the heap without stopping the world,
			// as runtime.ReadMemStats would every 5 ms.
			sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
			for {
				metrics.Read(sample)
				if h := sample[0].Value.Uint64(); h > base && h-base > max.Load() {
					max.Store(h - base)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		began := time.Now()
		resp, err := http.Get(api.URL + "/api/v1/kpis")
		if err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReaderSize(resp.Body, 1<<16)
		if _, err := br.Peek(1); err != nil {
			b.Fatal(err)
		}
		firstByte = time.Since(began)
		rows, size := countRows(b, br)
		whole = time.Since(began)
		resp.Body.Close()
		close(stop)
		<-sampled
		peak = max.Load()
		if rows != total {
			b.Fatalf("%d rows in the answer (%d bytes), want %d", rows, size, total)
		}
	}
	b.ReportMetric(ms(firstByte), "ms-first-byte")
	b.ReportMetric(ms(whole), "ms-whole-answer")
	b.ReportMetric(float64(peak)/(1<<20), "MB-heap-added")
	b.ReportMetric(float64(total), "kpis")
}

// countRows reads the answer to its end, as a client that saves it would,
// and counts the rows by their opening lines; that the document is
// well-formed JSON, in the plan's order, is peers' tests' to check.
func countRows(b *testing.B, r io.Reader) (int, int64) {
	open := []byte("\n    {\n")
	buf := make([]byte, 1<<16)
	var carry []byte
	rows, size := 0, int64(0)
	var last []byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			size += int64(n)
			chunk := append(carry, buf[:n]...)
			rows += bytes.Count(chunk, open)
			// Keep the tail that may hold the start of an opening line (too short
			// to hold a whole one, so nothing is counted twice).
			keep := min(len(open)-1, len(chunk))
			carry = append(carry[:0], chunk[len(chunk)-keep:]...)
			last = append(last[:0], chunk[max(0, len(chunk)-4):]...)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if !bytes.HasSuffix(last, []byte("}\n")) {
		b.Fatalf("the answer ends with %q, not the document's end", last)
	}
	return rows, size
}

// servePeerRows is a simulated replica's answer in the rows form: its header
// line, then every row, generated as it is written.
func servePeerRows(w http.ResponseWriter, shard int, info snapshot.PlanInfo, now time.Time, loc *time.Location, state func(int) snapshot.KPIState) {
	w.Header().Set("Content-Type", "application/vnd.kpi-collector.part-rows")
	bw := bufio.NewWriterSize(w, 1<<16)
	fmt.Fprintf(bw, `{"shard":%d,"at":%q,"kpis":%d}`+"\n", shard, now.Format(time.RFC3339Nano), info.ShardKPIs[shard])
	// One row marshaled, the rest made from it with the name changed.
	row, _ := json.MarshalIndent(report.NewRow(state(shard), loc), "    ", "  ")
	tmpl := strings.Replace(string(row), fmt.Sprintf("kpi_%07d", shard), "%s", 1)
	tmpl = strings.Replace(tmpl, fmt.Sprintf("UCgen%d", shard), "%s", 1)
	for i := range info.ShardKPIs[shard] {
		pos := i*len(info.ShardKPIs) + shard
		text := fmt.Sprintf(tmpl, fmt.Sprintf("kpi_%07d", pos), fmt.Sprintf("UCgen%d", pos))
		fmt.Fprintf(bw, "%d %d\n%s", pos, len(text), text)
	}
	_ = bw.Flush()
}

// fixedEngine serves one snapshot to the web handlers.
type fixedEngine struct{ snap *snapshot.Snapshot }

func (f fixedEngine) Snapshot() *snapshot.Snapshot { return f.snap }
func (fixedEngine) Ready() bool                    { return true }
func (fixedEngine) TokenKnown(string) bool         { return false }
func (fixedEngine) RecordingShard(string, string, string) (int, error) {
	return -1, nil
}

func (fixedEngine) Record(context.Context, vocab.ManualReading) (vocab.ManualReading, error) {
	return vocab.ManualReading{}, nil
}
