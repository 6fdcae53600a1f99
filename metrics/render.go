package metrics

import (
	"bytes"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"weak"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/kpi-collector/kpi-collector/internal/gzipsplice"
	"github.com/kpi-collector/kpi-collector/snapshot"
)

// Rendered is a snapshot's exposition in the text format, compressed, ready
// to be served as it is: a scrape costs a copy, not a render. Only the
// compressed text is kept (a twentieth of the text); Text inflates it for
// the rare scraper that does not take gzip.
type Rendered struct {
	// of is the snapshot rendered, held weakly: a rendering is served
	// until the next one is done, and keeping its snapshot alive meanwhile
	// kept two snapshots of 100,000 KPIs (about 70 MB each) at once.
	of weak.Pointer[snapshot.Snapshot]
	// Piece is the exposition as deflate blocks ended by a sync flush, with
	// its CRC-32 and length: the handler splices it into the one gzip
	// member of a scrape, between the live families it compresses then.
	Piece gzipsplice.Piece
}

// Gzip is the exposition alone as one gzip member.
func (r *Rendered) Gzip() []byte { return r.Piece.Member() }

// Of reports whether r is the rendering of snap.
func (r *Rendered) Of(snap *snapshot.Snapshot) bool { return r.of == weak.Make(snap) }

// Text is the exposition uncompressed.
func (r *Rendered) Text() []byte {
	var b bytes.Buffer
	_ = r.WriteText(&b)
	return b.Bytes()
}

// WriteText writes the exposition uncompressed, inflating it as it goes:
// serving the plain text holds no copy of it.
func (r *Rendered) WriteText(w io.Writer) error {
	if len(r.Piece.Deflate) == 0 {
		return nil
	}
	zr := r.Piece.Reader()
	defer zr.Close()
	_, err := io.Copy(w, zr) //nolint:gosec // our own rendering, not input from outside
	return err
}

// Render writes the exporter's metrics for snap, plus the families of extra
// (constant collectors such as the build info), byte for byte as
// client_golang's registry and expfmt would: families sorted by name, each
// family's series sorted by label values, labels sorted by name, the same
// escaping and number formatting. It writes straight from the snapshot into
// the compressor, one family after another (each family's samples come
// already in order), building no const metrics, protobufs or uncompressed
// text, so 10,000 KPIs render in a fraction of the time and memory Gather
// takes.
func Render(snap *snapshot.Snapshot, extra ...prometheus.Collector) (*Rendered, error) {
	return render(snap, 0, extra...)
}

// render renders into a buffer of sizeHint bytes (the last rendering's
// size), which spares the copies of growing it.
func render(snap *snapshot.Snapshot, sizeHint int, extra ...prometheus.Collector) (*Rendered, error) {
	var raw []*dto.MetricFamily // the extra collectors' families, sorted by name
	if len(extra) > 0 {
		reg := prometheus.NewRegistry()
		for _, c := range extra {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
		var err error
		if raw, err = reg.Gather(); err != nil {
			return nil, err
		}
	}

	var gz bytes.Buffer
	gz.Grow(sizeHint + sizeHint/16)
	// klauspost's deflate at its fastest level compresses the exposition in
	// about half the time the standard library's does, for a few percent
	// more bytes; any gzip reader inflates it.
	zw := gzipsplice.NewPieceWriter(&gz)
	// Text gathers in buf and goes to the compressor in pieces of about
	// flushAt bytes: whole families are never held. The compressor runs in
	// a goroutine of its own, so that formatting the next piece and
	// compressing the last overlap (on two cores a first render of 100,000
	// KPIs takes about half as long); a few buffers go round between them.
	const flushAt = 64 << 10
	const inFlight = 4
	pieces := make(chan *bytes.Buffer, inFlight)
	free := make(chan *bytes.Buffer, inFlight+1)
	for range inFlight + 1 {
		b := new(bytes.Buffer)
		b.Grow(flushAt + 4<<10)
		free <- b
	}
	compressed := make(chan error, 1)
	go func() {
		var werr error
		for b := range pieces {
			if werr == nil {
				_, werr = zw.Write(b.Bytes())
			}
			b.Reset()
			free <- b
		}
		compressed <- werr
	}()
	buf := <-free
	flush := func() {
		pieces <- buf
		buf = <-free
	}
	// finish hands the compressor what is left and waits for it.
	finished := false
	finish := func() error {
		if finished {
			return nil
		}
		finished = true
		if buf.Len() > 0 {
			pieces <- buf
		}
		close(pieces)
		return <-compressed
	}
	defer finish() //nolint:errcheck // on an early return the error that caused it is reported
	o := &order{snap: snap}
	var num []byte
	for _, f := range families {
		name, help, labels := describe(f.desc)
		for len(raw) > 0 && raw[0].GetName() < name {
			if _, err := expfmt.MetricFamilyToText(buf, raw[0]); err != nil {
				return nil, err
			}
			raw = raw[1:]
		}
		byName := labelOrder(labels)
		header := false
		f.samples(snap, o, func(v float64, values []string) {
			if !header { // client_golang leaves out a family without samples
				writeHeader(buf, name, help, f.typ)
				header = true
			}
			buf.WriteString(name)
			sep := byte('{')
			for _, i := range byName {
				buf.WriteByte(sep)
				buf.WriteString(labels[i])
				buf.WriteString(`="`)
				valueEscaper.WriteString(buf, values[i]) //nolint:errcheck // a bytes.Buffer does not fail
				buf.WriteByte('"')
				sep = ','
			}
			if sep == ',' {
				buf.WriteByte('}')
			}
			buf.WriteByte(' ')
			num = appendFloat(num[:0], v)
			buf.Write(num)
			buf.WriteByte('\n')
			if buf.Len() >= flushAt {
				flush()
			}
		})
	}
	for _, mf := range raw {
		if _, err := expfmt.MetricFamilyToText(buf, mf); err != nil {
			return nil, err
		}
	}
	if err := finish(); err != nil {
		return nil, err
	}
	crc, size, err := zw.Finish()
	if err != nil {
		return nil, err
	}
	deflate := gz.Bytes()
	if cap(deflate)-len(deflate) > len(deflate)/8 {
		// The page grew past its hint (the first run's values came): the
		// buffer doubled, and its slack would be held until the next
		// rendering (5 MB at 100,000 KPIs). A copy of its size is kept.
		deflate = bytes.Clone(deflate)
	}
	return &Rendered{of: weak.Make(snap), Piece: gzipsplice.Piece{Deflate: deflate, CRC: crc, Size: size}}, nil
}

// labelOrder is the indexes of labels in name order, the order the text
// format writes them in.
func labelOrder(labels []string) []int {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return labels[order[a]] < labels[order[b]] })
	return order
}

func writeHeader(w *bytes.Buffer, name, help string, t prometheus.ValueType) {
	w.WriteString("# HELP ")
	w.WriteString(name)
	w.WriteByte(' ')
	helpEscaper.WriteString(w, help) //nolint:errcheck // a bytes.Buffer does not fail
	w.WriteString("\n# TYPE ")
	w.WriteString(name)
	w.WriteByte(' ')
	w.WriteString(typeName(t))
	w.WriteByte('\n')
}

func typeName(t prometheus.ValueType) string {
	switch t {
	case prometheus.CounterValue:
		return "counter"
	case prometheus.GaugeValue:
		return "gauge"
	default:
		return "untyped"
	}
}

// descInfos keeps each descriptor's name, help and variable labels as they
// were given, so that Render writes them without asking client_golang, which
// keeps them unexported. Filled while the package's variables are set up,
// read-only afterwards.
var descInfos = map[*prometheus.Desc]descInfo{}

type descInfo struct {
	name, help string
	labels     []string
}

// newDesc builds a descriptor and remembers what it was built from.
func newDesc(name, help string, labels []string) *prometheus.Desc {
	d := prometheus.NewDesc(name, help, labels, nil)
	descInfos[d] = descInfo{name: name, help: help, labels: labels}
	return d
}

// describe is a descriptor's name, help and variable labels.
func describe(d *prometheus.Desc) (string, string, []string) {
	info := descInfos[d]
	return info.name, info.help, info.labels
}

// The text format's escaping, as expfmt does it.
var (
	helpEscaper  = strings.NewReplacer("\\", `\\`, "\n", `\n`)
	valueEscaper = strings.NewReplacer("\\", `\\`, "\n", `\n`, "\"", `\"`)
)

// appendFloat formats a value as expfmt's writeFloat does.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, "-1"...)
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	default:
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	}
}
