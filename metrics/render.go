package metrics

import (
	"bytes"
	"compress/gzip"
	"io"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	"github.com/kpi-collector/kpi-collector/engine"
)

// Rendered is a snapshot's exposition in the text format, gzipped, ready to
// be served as it is: a scrape costs a copy, not a render. Only the gzip is
// kept (a twentieth of the text); Text inflates it for the rare scraper that
// does not take gzip.
type Rendered struct {
	Snapshot *engine.Snapshot
	Gzip     []byte
}

// Text is the exposition uncompressed.
func (r *Rendered) Text() []byte {
	if len(r.Gzip) == 0 {
		return nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.Gzip))
	if err != nil {
		return nil
	}
	b, _ := io.ReadAll(zr)
	return b
}

// Render writes the exporter's metrics for snap, plus the families of extra
// (constant collectors such as the build info), byte for byte as
// client_golang's registry and expfmt would: families sorted by name, each
// family's series sorted by label values, labels sorted by name, the same
// escaping and number formatting. It writes straight from the snapshot
// (visit sends each family's samples already in order), building no const
// metrics or protobufs, so 10,000 KPIs render in a fraction of the time and
// memory Gather takes.
func Render(snap *engine.Snapshot, extra ...prometheus.Collector) (*Rendered, error) {
	return render(snap, nil, extra...)
}

// render renders with each family's body sized from sizes (the last
// render's), which spares the copies of growing the buffers; it records the
// sizes of this render in sizes.
func render(snap *engine.Snapshot, sizes map[string]int, extra ...prometheus.Collector) (*Rendered, error) {
	families := map[string]*family{}

	var num []byte
	visit(snap, func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		f := familyOf(families, d, t, sizes)
		b := &f.body
		b.WriteString(f.name)
		if len(f.order) > 0 {
			sep := byte('{')
			for _, i := range f.order {
				b.WriteByte(sep)
				b.WriteString(f.labels[i])
				b.WriteString(`="`)
				valueEscaper.WriteString(b, labels[i]) //nolint:errcheck // a bytes.Buffer does not fail
				b.WriteByte('"')
				sep = ','
			}
			b.WriteByte('}')
		}
		b.WriteByte(' ')
		num = appendFloat(num[:0], v)
		b.Write(num)
		b.WriteByte('\n')
	})
	if len(extra) > 0 {
		reg := prometheus.NewRegistry()
		for _, c := range extra {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
		mfs, err := reg.Gather()
		if err != nil {
			return nil, err
		}
		for _, mf := range mfs {
			f := &family{name: mf.GetName(), raw: true}
			if _, err := expfmt.MetricFamilyToText(&f.body, mf); err != nil {
				return nil, err
			}
			families[f.name] = f
		}
	}

	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if sizes != nil {
			sizes[n] = families[n].body.Len()
		}
		if err := families[n].write(zw); err != nil {
			return nil, err
		}
		families[n] = nil // its body is garbage now
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &Rendered{Snapshot: snap, Gzip: bytes.Clone(gz.Bytes())}, nil
}

// family is one metric family on its way to text: its samples' lines, in
// order, and what its header says.
type family struct {
	name, help, typ string
	labels          []string // in the descriptor's order
	order           []int    // indexes into labels, by label name
	body            bytes.Buffer
	raw             bool // an extra collector's family, header included
}

func familyOf(families map[string]*family, d *prometheus.Desc, t prometheus.ValueType, sizes map[string]int) *family {
	name, help, labels := describe(d)
	if f, ok := families[name]; ok {
		return f
	}
	f := &family{name: name, help: help, labels: labels, typ: typeName(t)}
	if n := sizes[name]; n > 0 {
		f.body.Grow(n + n/16) // a little room for a few more series
	}
	f.order = make([]int, len(labels))
	for i := range f.order {
		f.order[i] = i
	}
	sort.Slice(f.order, func(a, b int) bool { return labels[f.order[a]] < labels[f.order[b]] })
	families[name] = f
	return f
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

func (f *family) write(w io.Writer) error {
	if !f.raw {
		var h bytes.Buffer
		h.WriteString("# HELP ")
		h.WriteString(f.name)
		h.WriteByte(' ')
		helpEscaper.WriteString(&h, f.help) //nolint:errcheck // a bytes.Buffer does not fail
		h.WriteString("\n# TYPE ")
		h.WriteString(f.name)
		h.WriteByte(' ')
		h.WriteString(f.typ)
		h.WriteByte('\n')
		if _, err := w.Write(h.Bytes()); err != nil {
			return err
		}
	}
	_, err := w.Write(f.body.Bytes())
	return err
}

var (
	descMu    sync.Mutex
	descCache = map[*prometheus.Desc]descInfo{}
	descRE    = regexp.MustCompile(`^Desc\{fqName: ("(?:[^"\\]|\\.)*"), help: ("(?:[^"\\]|\\.)*"), unit: "(?:[^"\\]|\\.)*", constLabels: \{\}, variableLabels: \{([^}]*)\}\}$`)
)

type descInfo struct {
	name, help string
	labels     []string
}

// describe reads a descriptor's name, help and variable labels
// (client_golang keeps them unexported; its String quotes name and help).
func describe(d *prometheus.Desc) (string, string, []string) {
	descMu.Lock()
	defer descMu.Unlock()
	if v, ok := descCache[d]; ok {
		return v.name, v.help, v.labels
	}
	var info descInfo
	if g := descRE.FindStringSubmatch(d.String()); g != nil {
		info.name, _ = strconv.Unquote(g[1])
		info.help, _ = strconv.Unquote(g[2])
		if g[3] != "" {
			info.labels = strings.Split(g[3], ",")
		}
	}
	descCache[d] = info
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
