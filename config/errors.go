package config

import (
	"errors"
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
	list Problems
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
	ps.at(lookup(ps.root, path...), format, args...)
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

var (
	yamlLine     = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)
	unknownField = regexp.MustCompile(`^field (\S+) not found in type config\.(\w+)$`)
	wrongType    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (.+)$")
	wrongKind    = regexp.MustCompile(`^cannot unmarshal !!(\w+) into (.+)$`)
)

var typeWords = map[string]string{
	"string": "text", "int": "a whole number", "float64": "a number", "time.Duration": "a duration such as 30s or 6h",
	"[]string": "a list", "map[string]string": "a mapping", "[]*config.KPI": "a list of KPIs",
	"[]config.MilestoneSpec": "a list of milestones", "map[string]*config.Channel": "a mapping of channel names to channels",
	"plan.Count": "total or growth", "plan.Every": "month or quarter",
}

// fromYAML turns the YAML library's errors into Problems in plain words.
func fromYAML(file string, err error) Problems {
	var msgs []string
	prefix := ""
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
		prefix = "not valid YAML: "
	}
	var out Problems
	for _, m := range msgs {
		p := Problem{File: file, Msg: strings.TrimPrefix(m, "yaml: ")}
		if g := yamlLine.FindStringSubmatch(strings.TrimSpace(m)); g != nil {
			p.Line, _ = strconv.Atoi(g[1])
			p.Msg = g[2]
		}
		p.Msg = prefix + p.Msg
		if g := unknownField.FindStringSubmatch(p.Msg); g != nil {
			p.Msg = fmt.Sprintf("unknown key %q here (in %s); check its spelling and indentation", g[1], strings.ToLower(g[2]))
		} else if g := wrongType.FindStringSubmatch(p.Msg); g != nil {
			p.Msg = fmt.Sprintf("%q should be %s", g[2], word(g[3]))
		} else if g := wrongKind.FindStringSubmatch(p.Msg); g != nil {
			p.Msg = fmt.Sprintf("found a %s where %s belongs", kindWord(g[1]), word(g[2]))
		}
		out = append(out, p)
	}
	return out
}

func word(goType string) string {
	if w, ok := typeWords[goType]; ok {
		return w
	}
	return goType
}

func kindWord(tag string) string {
	switch tag {
	case "seq":
		return "list"
	case "map":
		return "mapping"
	default:
		return tag
	}
}
