package config

import (
	"bytes"
	"regexp"
	"runtime"
	"sort"
	"sync"

	"go.yaml.in/yaml/v3"
)

// A plan of 100,000 KPIs written out is about 10 MB of YAML, and yaml.v3's
// node tree of the whole of it about 300 MB: more than the daemon needs for
// everything else together. A large file's kpis list is therefore read a
// piece at a time. The rest of the file (with "kpis: []" in the list's place
// and blank lines for its lines, so that every line keeps its number) is one
// small tree; each piece of the list, a run of whole items, is parsed,
// checked and decoded on its own, its nodes' lines moved to where the piece
// starts. A piece is parsed again only when a problem needs a line in it.
//
// The split is made on the text, so it is taken only where the text makes it
// plain: one block list under a "kpis:" key at the left margin. Whatever
// else (an anchor used across pieces, a list item split inside a quoted
// string, a second document) makes a part fail to parse or hold another
// number of items than the split counted, and the file is then read whole,
// as a small file always is: its problems are the same either way.

// piecewiseAbove is the size above which a file is read piecewise; a
// variable so that tests can read every file both ways.
var piecewiseAbove = 1 << 20

// itemsPerPiece bounds a piece: 1,000 KPIs are a tree of about 3 MB. A
// variable for tests, as piecewiseAbove.
var itemsPerPiece = 1000

// kpiPieces is a file's kpis list cut into pieces of whole items.
type kpiPieces struct {
	data    []byte
	keyLine int // the line of "kpis:", from 1
	pieces  []kpiPiece
	// The last piece parsed for a problem's line, and its items.
	cached int
	items  []*yaml.Node
}

// kpiPiece is a run of items of the kpis list.
type kpiPiece struct {
	start, end int // byte offsets in the file
	line       int // the line the piece starts at, from 1
	first      int // the index of its first item in the list
	count      int // how many items the text shows
}

var (
	kpisKeyLine   = regexp.MustCompile(`^kpis:( +(#.*)?)?$`)
	itemStartLine = regexp.MustCompile(`^( *)-( |$)`)
)

// splitKPIs cuts data's kpis list into pieces and returns the rest of the
// file with the list taken out, lines kept. ok is false where the text is
// not the plain shape splitting needs.
func splitKPIs(data []byte) (rest []byte, kp *kpiPieces, ok bool) {
	if bytes.IndexByte(data, '\r') >= 0 {
		return nil, nil, false
	}
	type line struct {
		start, end int // end excludes the newline
	}
	var lines []line
	for off := 0; off < len(data); {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off
		}
		lines = append(lines, line{off, end})
		off = end + 1
	}
	text := func(l line) []byte { return data[l.start:l.end] }

	key := -1
	for i, l := range lines {
		t := text(l)
		if bytes.HasPrefix(t, []byte("---")) || bytes.HasPrefix(t, []byte("...")) || bytes.HasPrefix(t, []byte("%")) {
			return nil, nil, false // documents and directives: read whole
		}
		if kpisKeyLine.Match(t) {
			if key >= 0 {
				return nil, nil, false
			}
			key = i
		}
	}
	if key < 0 {
		return nil, nil, false
	}

	// The list runs from the first item to the next line at the left margin
	// that is neither a comment nor, for a list at the margin, an item.
	indent := -1
	var starts []int // line numbers (0-based) of the items
	end := len(lines)
	for i := key + 1; i < len(lines); i++ {
		t := text(lines[i])
		trimmed := bytes.TrimLeft(t, " ")
		if len(trimmed) == 0 || trimmed[0] == '#' {
			continue
		}
		m := itemStartLine.FindSubmatch(t)
		if indent < 0 {
			if m == nil {
				return nil, nil, false // the list does not start with an item
			}
			indent = len(m[1])
		}
		if len(t) > 0 && t[0] != ' ' && (indent > 0 || m == nil) {
			end = i
			break
		}
		if m != nil && len(m[1]) == indent {
			starts = append(starts, i)
		}
	}
	if len(starts) == 0 {
		return nil, nil, false
	}

	kp = &kpiPieces{data: data, keyLine: key + 1, cached: -1}
	listEnd := len(data)
	if end < len(lines) {
		listEnd = lines[end].start
	}
	for i := 0; i < len(starts); i += itemsPerPiece {
		n := min(itemsPerPiece, len(starts)-i)
		p := kpiPiece{start: lines[starts[i]].start, line: starts[i] + 1, first: i, count: n, end: listEnd}
		if i+n < len(starts) {
			p.end = lines[starts[i+n]].start
		}
		kp.pieces = append(kp.pieces, p)
	}

	// The rest: the key line says "kpis: []", the list's lines stay, blank.
	keyEnd := lines[key].end
	if key+1 < len(lines) {
		keyEnd = lines[key+1].start
	}
	var b bytes.Buffer
	b.Grow(lines[key].start + len(data) - listEnd + (end - key) + 16)
	b.Write(data[:lines[key].start])
	b.WriteString("kpis: []\n")
	if keyEnd < listEnd {
		b.Write(bytes.Repeat([]byte("\n"), bytes.Count(data[keyEnd:listEnd], []byte("\n"))))
	}
	b.Write(data[listEnd:])
	return b.Bytes(), kp, true
}

// parseAhead parses the pieces in parallel, a few ahead of the reader:
// parsing is most of a large plan's load (1.2 s of 1.7 s at 100,000 KPIs).
// The reader calls next for each piece in order, and stop when it is done,
// all read or not; stop returns once no parse is running.
func (kp *kpiPieces) parseAhead() (next func(i int) ([]*yaml.Node, bool), stop func()) {
	type parsed struct {
		items []*yaml.Node
		ok    bool
	}
	results := make([]chan parsed, len(kp.pieces))
	for i := range results {
		results[i] = make(chan parsed, 1)
	}
	// A place ahead is taken before a piece is parsed and given back when
	// the reader takes it: the trees parsed and not yet read stay few.
	ahead := make(chan struct{}, runtime.GOMAXPROCS(0)+1)
	done := make(chan struct{})
	var running sync.WaitGroup
	running.Add(1)
	go func() {
		defer running.Done()
		for i := range kp.pieces {
			select {
			case ahead <- struct{}{}:
			case <-done:
				return
			}
			running.Add(1)
			go func() {
				defer running.Done()
				items, ok := kp.parse(i)
				results[i] <- parsed{items, ok}
			}()
		}
	}()
	next = func(i int) ([]*yaml.Node, bool) {
		p := <-results[i]
		<-ahead
		return p.items, p.ok
	}
	return next, func() {
		close(done)
		running.Wait()
	}
}

// parse returns the items of piece i, each node's line that of the file; an
// error or another number of items than the split counted means the file
// must be read whole.
func (kp *kpiPieces) parse(i int) ([]*yaml.Node, bool) {
	p := kp.pieces[i]
	var doc yaml.Node
	if err := yaml.Unmarshal(kp.data[p.start:p.end], &doc); err != nil {
		return nil, false
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.SequenceNode || len(doc.Content[0].Content) != p.count {
		return nil, false
	}
	shiftLines(doc.Content[0], p.line-1)
	return doc.Content[0].Content, true
}

// shiftLines moves every node of a tree down by lines. An alias's target is
// a node of the tree, so following only Content moves each node once.
func shiftLines(n *yaml.Node, lines int) {
	n.Line += lines
	for _, c := range n.Content {
		shiftLines(c, lines)
	}
}

// emptied reports whether the rest's tree has its "kpis: []" where the
// split put it: were the key line inside a quoted text, it would not.
func (kp *kpiPieces) emptied(root *yaml.Node) bool {
	k, v := mapKey(root, "kpis"), mapValue(root, "kpis")
	return k != nil && k.Line == kp.keyLine && v.Kind == yaml.SequenceNode && len(v.Content) == 0 && v.Line == kp.keyLine
}

// item is the node of the list's item i, parsed again for a problem's line;
// nil if there is no such item.
func (kp *kpiPieces) item(i int) *yaml.Node {
	pi := sort.Search(len(kp.pieces), func(j int) bool { return kp.pieces[j].first+kp.pieces[j].count > i })
	if i < 0 || pi == len(kp.pieces) {
		return nil
	}
	if kp.cached != pi {
		items, ok := kp.parse(pi)
		if !ok {
			return nil
		}
		kp.cached, kp.items = pi, items
	}
	return kp.items[i-kp.pieces[pi].first]
}
