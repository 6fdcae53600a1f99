package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kpi-collector/kpi-collector/internal/redact"
)

// Problem is one thing wrong with a config file, at a line.
type Problem struct {
	File string
	Line int // 0 when the problem has no line, such as an unreadable file
	Msg  string
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Problems is every problem found in one config file; Load returns all of
// them at once so that a user fixes the file in one go.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.Error()
	}
	return strings.Join(lines, "\n")
}

// problems collects Problems for one file and the node tree they refer to.
type problems struct {
	file string
	root *yaml.Node
	// kpis, for a file read piecewise, finds a KPI's node for its lines.
	kpis *kpiPieces
	list Problems
	// types lets checkShape find a channel type's own settings keys.
	types Types
	// typeKeys are the keys any type takes beyond the common ones.
	typeKeys map[string]bool
	// withoutSecrets: see WithoutSecrets. unsetSecrets names the channels
	// with a secret left unset so.
	withoutSecrets bool
	unsetSecrets   map[string]bool
}

func (ps *problems) at(n *yaml.Node, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	// A problem may quote the value it refuses: a URL's credentials are
	// hidden before the message goes to a log or a reload's answer.
	ps.list = append(ps.list, Problem{File: ps.file, Line: line, Msg: redact.URLsIn(fmt.Sprintf(format, args...))})
}

// path reports a problem at the node a path names, or at the nearest node on
// the path that exists.
func (ps *problems) path(path []any, format string, args ...any) {
	ps.at(ps.lookup(path...), format, args...)
}

// lookup is lookup on the file's tree, whichever way it was read.
func (ps *problems) lookup(path ...any) *yaml.Node {
	if ps.kpis != nil && len(path) >= 2 && path[0] == "kpis" {
		if i, ok := path[1].(int); ok {
			if item := ps.kpis.item(i); item != nil {
				return lookup(item, path[2:]...)
			}
		}
	}
	return lookup(ps.root, path...)
}

// lookup walks a node tree by mapping keys (strings) and sequence indexes
// (ints) and returns the deepest node it reaches. Where the path ends on a
// mapping key, it returns the key's node: the line a reader looks for.
func lookup(n *yaml.Node, path ...any) *yaml.Node {
	if len(path) > 0 {
		if key, ok := path[len(path)-1].(string); ok {
			parent := lookupValue(n, path[:len(path)-1]...)
			if k := mapKey(parent, key); k != nil {
				return k
			}
		}
	}
	return lookupValue(n, path...)
}

// lookupValue walks like lookup but returns the value node reached.
func lookupValue(n *yaml.Node, path ...any) *yaml.Node {
	for _, step := range path {
		if n == nil {
			return nil
		}
		var next *yaml.Node
		switch s := step.(type) {
		case string:
			next = mapValue(n, s)
		case int:
			if n.Kind == yaml.SequenceNode && s < len(n.Content) {
				next = n.Content[s]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

// mapValue is the value node of key in a mapping node, or nil.
func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// mapKey is the key node of key in a mapping node, or nil.
func mapKey(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i]
		}
	}
	return nil
}

// syntaxLine finds the line in a YAML syntax error. A file that does not
// parse has no node tree to take lines from; the parser gives its position
// only in its message ("yaml: line 3: did not find expected key").
var syntaxLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// fromYAML turns a YAML syntax error into a Problem. Every other problem is
// found on the node tree, with the node's line (checkShape).
func fromYAML(file string, err error) Problems {
	p := Problem{File: file, Msg: "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if g := syntaxLine.FindStringSubmatch(strings.TrimSpace(err.Error())); g != nil {
		p.Line, _ = strconv.Atoi(g[1])
		p.Msg = "not valid YAML: " + g[2]
	}
	return Problems{p}
}
