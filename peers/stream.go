package peers

import (
	"bufio"
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// StreamAbove is the size of a whole plan, in KPIs, above which the JSON
// API streams the peers' rows rather than merging their parts in memory:
// 10 shards of 100,000 KPIs would otherwise hold a million evaluated KPIs
// for one answer.
const StreamAbove = 20000

// maxRow bounds one row in a peer's rows form: a row is a KPI's figures
// and sentences, a few kilobytes with many rivals.
const maxRow = 1 << 20

// idleFactor times the deadline is how long a peer's rows may pause once it
// has begun to answer: a large part takes longer than the deadline to send,
// but a peer that stops sending is given up on.
const idleFactor = 10

// WriteJSON writes the JSON API's document of the whole plan: local's rows
// and the peers', merged in the plan's order as they arrive, so that no
// more than a row per shard is held at once. A peer that does not answer
// within the deadline, or stops, is listed under "missing" with the KPIs
// not received, and the document says "partial": true.
func (p *Peers) WriteJSON(ctx context.Context, w io.Writer, local *snapshot.Snapshot, auth string) error {
	loc := local.Plan.StartTime.Location()
	sources := p.openRows(ctx, auth)
	defer func() {
		for _, s := range sources {
			s.close()
		}
	}()
	bw := bufio.NewWriterSize(w, 64<<10)
	doc := report.Build(&snapshot.Snapshot{At: local.At, Plan: local.Plan})
	planJSON, err := json.MarshalIndent(doc.Plan, "  ", "  ")
	if err != nil {
		return err
	}
	atJSON, _ := json.Marshal(doc.At)
	fmt.Fprintf(bw, "{\n  \"plan\": %s,\n  \"at\": %s,\n  \"kpis\": [", planJSON, atJSON)

	h := &rowHeap{}
	pushIfAny(h, &cursor{advance: localRows(local.KPIs, loc)})
	for _, s := range sources {
		if s.err == nil {
			pushIfAny(h, &cursor{advance: s.next})
		}
	}
	first := true
	for h.Len() > 0 {
		c := (*h)[0]
		if first {
			_, _ = bw.WriteString("\n" + rowIndent)
			first = false
		} else {
			_, _ = bw.WriteString(",\n" + rowIndent)
		}
		if _, err := bw.Write(c.row); err != nil {
			return err
		}
		if c.pos, c.row, c.ok = c.advance(); c.ok {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	if !first {
		_, _ = bw.WriteString("\n  ")
	}
	_, _ = bw.WriteString("]")
	var missing []report.Missing
	for _, s := range sources {
		if s.err != nil {
			missing = append(missing, p.missing(local, s.shard, s.got, s.err))
		}
	}
	if len(missing) > 0 {
		m, _ := json.MarshalIndent(missing, "  ", "  ")
		fmt.Fprintf(bw, ",\n  \"partial\": true,\n  \"missing\": %s", m)
	}
	_, _ = bw.WriteString("\n}\n")
	return bw.Flush()
}

// cursor is a source of rows in ascending positions, at its current row.
type cursor struct {
	pos     int
	row     []byte
	ok      bool
	advance func() (pos int, row []byte, ok bool)
}

func pushIfAny(h *rowHeap, c *cursor) {
	if c.pos, c.row, c.ok = c.advance(); c.ok {
		heap.Push(h, c)
	}
}

// rowHeap orders the sources by their current row's place in the plan.
type rowHeap []*cursor

func (h rowHeap) Len() int           { return len(h) }
func (h rowHeap) Less(i, j int) bool { return h[i].pos < h[j].pos }
func (h rowHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }

// Push is heap.Interface's.
func (h *rowHeap) Push(x any) { *h = append(*h, x.(*cursor)) }

// Pop is heap.Interface's.
func (h *rowHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}

// localRows yields this replica's own rows.
func localRows(kpis []snapshot.KPIState, loc *time.Location) func() (int, []byte, bool) {
	i := 0
	return func() (int, []byte, bool) {
		for i < len(kpis) {
			k := &kpis[i]
			i++
			row, err := json.MarshalIndent(report.NewRow(*k, loc), rowIndent, "  ")
			if err == nil {
				return k.Position, row, true
			}
		}
		return 0, nil, false
	}
}

// rowSource is one peer's part in the rows form, read as the merge needs it.
type rowSource struct {
	shard    int
	body     io.ReadCloser
	br       *bufio.Reader
	stop     context.CancelFunc
	idle     *time.Timer
	idleFor  time.Duration
	expected int
	got      int
	last     int
	buf      []byte
	err      error
}

func (s *rowSource) close() {
	if s.idle != nil {
		s.idle.Stop()
	}
	if s.stop != nil {
		s.stop()
	}
	if s.body != nil {
		_ = s.body.Close()
	}
}

// next reads the peer's next row; at the end, or at a fault, it sets err
// where fewer rows came than the peer announced.
func (s *rowSource) next() (int, []byte, bool) {
	if s.err != nil {
		return 0, nil, false
	}
	s.idle.Reset(s.idleFor)
	line, err := s.br.ReadString('\n')
	if errors.Is(err, io.EOF) && line == "" {
		if s.got < s.expected {
			s.err = fmt.Errorf("it stopped after %d of its %d KPIs", s.got, s.expected)
		}
		return 0, nil, false
	}
	if err != nil {
		s.err = fmt.Errorf("it stopped after %d of its %d KPIs: %s", s.got, s.expected, cause(err))
		return 0, nil, false
	}
	posText, sizeText, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
	pos, err1 := strconv.Atoi(posText)
	size, err2 := strconv.Atoi(sizeText)
	if err1 != nil || err2 != nil || size < 0 || size > maxRow || pos < s.last || s.got >= s.expected {
		s.err = fmt.Errorf("its answer could not be read after %d of its %d KPIs", s.got, s.expected)
		return 0, nil, false
	}
	if cap(s.buf) < size {
		s.buf = make([]byte, size)
	}
	s.buf = s.buf[:size]
	if _, err := io.ReadFull(s.br, s.buf); err != nil {
		s.err = fmt.Errorf("it stopped after %d of its %d KPIs: %s", s.got, s.expected, cause(err))
		return 0, nil, false
	}
	s.got++
	s.last = pos
	return pos, s.buf, true
}

// cause is a read error in a few words, naming no address.
func cause(err error) string {
	if errors.Is(err, context.Canceled) {
		return "it went quiet"
	}
	return "the connection broke"
}

// openRows asks every peer for its rows at once, each within the deadline
// for the answer's start; the bodies are then read as the merge goes.
func (p *Peers) openRows(ctx context.Context, auth string) []*rowSource {
	var sources []*rowSource
	for shard := range p.URLs {
		if shard != p.Self {
			sources = append(sources, &rowSource{shard: shard})
		}
	}
	var wg sync.WaitGroup
	for _, s := range sources {
		wg.Go(func() { p.openSource(ctx, s, auth) })
	}
	wg.Wait()
	return sources
}

func (p *Peers) openSource(parent context.Context, s *rowSource, auth string) {
	ctx, cancel := context.WithCancel(parent)
	s.stop = cancel
	s.idleFor = idleFactor * p.timeout()
	s.idle = time.AfterFunc(p.timeout(), cancel)
	body, err := p.open(ctx, s.shard, FormRows, auth)
	if err != nil {
		s.err = err
		return
	}
	s.body = body
	s.br = bufio.NewReaderSize(body, 64<<10)
	line, err := s.br.ReadBytes('\n')
	var h header
	if err == nil {
		err = json.Unmarshal(line, &h)
	}
	switch {
	case err != nil:
		s.err = p.readError(ctx, err)
	case h.Shard != s.shard:
		s.err = fmt.Errorf("it answered as shard %d: the replicas' --shard.peers disagree", h.Shard)
	case h.KPIs < 0:
		s.err = errors.New("its answer could not be read")
	default:
		s.expected = h.KPIs
		s.last = -1
	}
}
