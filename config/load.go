package config

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize bounds a config file (and each secret or accounts file): a
// defense against the wrong file, with room for a plan of 100,000 KPIs
// written out in full (10–15 MB).
const MaxFileSize = 32 << 20

// LoadFile reads, decodes, expands, defaults and validates a config file. The
// error, when there is one, is Problems: every problem found, each with the
// file and line.
func LoadFile(file string, types Types, opts ...LoadOption) (*Config, error) {
	data, err := readLimited(file)
	if err != nil {
		return nil, Problems{{File: file, Msg: err.Error()}}
	}
	return Load(file, data, types, opts...)
}

// LoadOption changes what loading a config asks of its surroundings.
type LoadOption func(*problems)

// WithoutSecrets loads a config for a command that calls no API (report,
// record, import): a channel's secret whose ${VAR} is unset, or whose
// *_file cannot be read, is left unset rather than refused, and the
// credential it leaves missing is not asked for. The plan and its store
// can then be read where the API secrets are not, a marketer's laptop;
// what calls the APIs (serve, once) and check load without this option.
func WithoutSecrets() LoadOption {
	return func(ps *problems) { ps.withoutSecrets = true }
}

// Load is LoadFile for bytes already read; file names them in problems and
// anchors relative *_file paths.
func Load(file string, data []byte, types Types, opts ...LoadOption) (*Config, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Problems{{File: file, Msg: "the file is empty; see config/example.yml for a plan to start from"}}
	}
	if len(data) > MaxFileSize {
		return nil, Problems{{File: file, Msg: fmt.Sprintf("the file is %d bytes, more than the %d a config may have", len(data), MaxFileSize)}}
	}

	if !utf8.Valid(data) {
		return nil, Problems{{File: file, Line: firstInvalidLine(data), Msg: "this line is not UTF-8 text; save the file as UTF-8"}}
	}

	if len(data) > piecewiseAbove {
		if rest, kpis, ok := splitKPIs(data); ok {
			if cfg, read, err := load(file, data, rest, kpis, types, opts); read {
				return cfg, err
			}
		}
	}
	cfg, _, err := load(file, data, data, nil, types, opts)
	return cfg, err
}

var kpiType = reflect.TypeOf(&KPI{})

// firstInvalidLine is the line of data's first byte that is not UTF-8.
func firstInvalidLine(data []byte) int {
	line := 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		if r == utf8.RuneError && size == 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		data = data[size:]
	}
	return line
}

// load is Load of text, which is data whole or, with kpis, the rest of data
// with its kpis list taken out (pieces.go). read is false when the pieces
// turn out not to be what the split took them for: data is then to be read
// whole.
func load(file string, data, text []byte, kpis *kpiPieces, types Types, opts []LoadOption) (cfg *Config, read bool, err error) {
	ps := &problems{file: file, types: types}
	for _, o := range opts {
		o(ps)
	}
	// The node tree, for lines in validation and ${VAR} expansion.
	var doc yaml.Node
	if err := yaml.Unmarshal(text, &doc); err != nil {
		if kpis != nil {
			return nil, false, nil
		}
		return nil, true, fromYAML(file, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, kpis == nil, Problems{{File: file, Line: 1, Msg: "the file must be a mapping with plan, channels and kpis"}}
	}
	root := doc.Content[0]
	if kpis != nil && !kpis.emptied(root) {
		return nil, false, nil
	}
	ps.root, ps.kpis = root, kpis
	goalLine := checkGoalShape(ps, root)

	// Strict decoding: unknown keys, each with its line, from the same node
	// tree (one parse: a plan with 10,000 KPIs is a large tree).
	before := len(ps.list)
	checkShape(ps, root, reflect.TypeOf(Config{}))
	if goalLine != 0 { // a list of goals is said once, as checkGoalShape says it
		ps.list = slices.DeleteFunc(ps.list, func(p Problem) bool {
			return p.Line == goalLine && len(ps.list) > before && p.Msg != ps.list[before-1].Msg
		})
	}
	if ps.withoutSecrets {
		leaveUnsetSecrets(ps, root)
	}
	expandEnv(ps, root)

	// Decode what can be decoded, so that validation can report its problems
	// beside the ones above: every reason at once.
	cfg = &Config{File: file}
	decodeErr := root.Decode(cfg)
	if kpis == nil {
		for i, k := range cfg.KPIs {
			recordLines(lookupValue(root, "kpis", i), k)
		}
	} else {
		next, stop := kpis.parseAhead()
		defer stop()
		for pi := range kpis.pieces {
			items, ok := next(pi)
			if !ok {
				return nil, false, nil
			}
			for _, item := range items {
				checkShape(ps, item, kpiType)
				expandEnv(ps, item)
				var k *KPI
				if err := item.Decode(&k); err != nil {
					decodeErr = cmp.Or(decodeErr, err)
					continue
				}
				recordLines(item, k)
				cfg.KPIs = append(cfg.KPIs, k)
			}
		}
	}
	if decodeErr != nil {
		if len(ps.list) > 0 {
			return nil, true, ps.list // checkShape said what is wrong, in plain words
		}
		// checkShape found nothing wrong, so this is a case it does not know.
		return nil, true, Problems{{File: file, Msg: fmt.Sprintf("the file could not be decoded: %v", decodeErr)}}
	}
	fp := sha256.New()
	fp.Write(data)
	readSecretFiles(ps, cfg, filepath.Dir(file), fp)
	readDigestSecretFiles(ps, cfg, filepath.Dir(file), fp)
	cfg.Fingerprint = hex.EncodeToString(fp.Sum(nil))

	readAccountsFiles(ps, cfg, filepath.Dir(file), fp)
	decodeSettings(ps, cfg, types)
	applyDefaults(cfg, types)
	expandEveryAccount(cfg)
	validate(ps, cfg, types)
	if len(ps.list) > 0 {
		return nil, true, ps.list
	}
	resolve(cfg)
	return cfg, true, nil
}

// readAccountsFiles appends each channel's accounts_file to its accounts.
func readAccountsFiles(ps *problems, cfg *Config, dir string, fp io.Writer) {
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		if ch == nil || ch.AccountsFile == "" {
			continue
		}
		path := ch.AccountsFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		data, err := readLimited(path)
		if err != nil {
			ps.path([]any{"channels", name, "accounts_file"}, "channels.%s.accounts_file: %v", name, err)
			continue
		}
		fmt.Fprintf(fp, "\x00%s\x00accounts\x00%s", name, data)
		ch.AccountsFile = path
		ch.accountLines = map[int]int{}
		for i, line := range strings.Split(string(data), "\n") {
			a := strings.TrimSpace(line)
			if a == "" || strings.HasPrefix(a, "#") {
				continue
			}
			if !utf8.ValidString(a) {
				// A Latin-1 name in a label makes the whole exposition
				// invalid: Prometheus would mark the target down.
				ps.list = append(ps.list, Problem{File: path, Line: i + 1, Msg: fmt.Sprintf("channels.%s.accounts: line %d is not UTF-8 text; save the file as UTF-8", name, i+1)})
				continue
			}
			ch.accountLines[len(ch.Accounts)] = i + 1
			ch.Accounts = append(ch.Accounts, a)
		}
	}
}

// expandEveryAccount makes a KPI whose account is "*" one KPI per account of
// its channel, named <name>:<account>; each keeps its entry's place for the
// lines of problems.
func expandEveryAccount(cfg *Config) {
	out := make([]*KPI, 0, len(cfg.KPIs))
	for i, k := range cfg.KPIs {
		if k == nil {
			out = append(out, k)
			continue
		}
		k.index = i
		ch := cfg.Channels[k.Channel]
		if k.Account != EveryAccount || ch == nil {
			out = append(out, k)
			continue
		}
		for _, a := range ch.Accounts {
			each := *k
			each.Name, each.Account = k.Name+":"+a, a
			out = append(out, &each)
		}
	}
	for i, k := range out {
		if k != nil {
			k.Position = i
		}
	}
	cfg.KPIs = out
}

// recordLines keeps the line of each milestone's target, from the KPI's node.
func recordLines(n *yaml.Node, k *KPI) {
	if k == nil {
		return
	}
	for j := range k.Milestones {
		if t := lookupValue(n, "milestones", j, "target"); t != nil {
			k.Milestones[j].Line = t.Line
		}
	}
}

// readLimited reads a config or accounts file whole: a regular file of at
// most MaxFileSize bytes. A larger one is refused, never cut; anything but
// a regular file (a FIFO, a device) is refused before it is opened, so that
// neither `collector check` nor a reload waits on it.
func readLimited(file string) ([]byte, error) {
	data, err := readRegular(file, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("cannot read the config: %w", err)
	}
	return data, nil
}

// readRegular reads a regular file of at most limit bytes.
func readRegular(file string, limit int64) ([]byte, error) {
	info, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", file, fileKind(info.Mode()))
	}
	if info.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than the %d it may have", file, info.Size(), limit)
	}
	f, err := os.Open(file) //nolint:gosec // G304: the files are the operator's choice
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit { // it grew since the Stat
		return nil, fmt.Errorf("%s is more than the %d bytes it may have", file, limit)
	}
	return data, nil
}

func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	default:
		return m.Type().String()
	}
}

var (
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	channelType     = reflect.TypeOf(Channel{})
	durationType    = reflect.TypeOf(time.Duration(0))
)

// checkShape walks the node tree along the Go types it decodes into and
// reports, each at its node's line and in plain words, every key that names
// no field and every value of the wrong kind: decoding then meets nothing it
// would have to explain in the YAML library's words.
func checkShape(ps *problems, n *yaml.Node, t reflect.Type) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n == nil {
		return
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// A type of ours that reads itself (Date): its own error says why.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			ps.at(n, "%v", err)
		}
		return
	}
	want, ok := shapeWords[t]
	if !ok {
		want = kindWords[t.Kind()]
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			ps.at(n, "found %s where %s belongs", nodeWord(n), want)
			return
		}
		fields := yamlFields(t)
		if t == channelType {
			// The type's own keys, if any, beside every channel's.
			fields = maps.Clone(fields)
			maps.Copy(fields, ps.settingsOf(n))
			maps.Copy(fields, yamlFields(t))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			ft, ok := fields[key.Value]
			if !ok && t == channelType && ps.someTypeTakes(key.Value) {
				continue // validateChannel says which type takes it
			}
			if !ok {
				ps.at(key, "unknown key %q here (in %s); check its spelling and indentation", key.Value, strings.ToLower(t.Name()))
				continue
			}
			checkShape(ps, n.Content[i+1], ft)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			ps.at(n, "found %s where %s belongs", nodeWord(n), want)
			return
		}
		for i := 1; i < len(n.Content); i += 2 {
			checkShape(ps, n.Content[i], t.Elem())
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			ps.at(n, "found %s where %s belongs", nodeWord(n), want)
			return
		}
		for _, c := range n.Content {
			checkShape(ps, c, t.Elem())
		}
	default:
		if n.Kind != yaml.ScalarNode {
			ps.at(n, "found %s where %s belongs", nodeWord(n), want)
			return
		}
		if t.Kind() == reflect.String && t != durationType {
			return // any scalar reads as text
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			ps.at(n, "%q should be %s", n.Value, want)
		}
	}
}

// What a value of each type should be, in words.
var (
	shapeWords = map[reflect.Type]string{
		durationType:                          "a duration such as 30s or 6h",
		reflect.TypeOf([]*KPI{}):              "a list of KPIs",
		reflect.TypeOf(map[string]*Channel{}): "a mapping of channel names to channels",
		reflect.TypeOf([]MilestoneSpec{}):     "a list of milestones",
	}
	kindWords = map[reflect.Kind]string{
		reflect.String: "text", reflect.Int: "a whole number", reflect.Int64: "a whole number", reflect.Float64: "a number",
		reflect.Bool: "true or false", reflect.Slice: "a list", reflect.Map: "a mapping", reflect.Struct: "a mapping",
	}
)

// nodeWord says what a node is, for messages.
func nodeWord(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	default:
		return fmt.Sprintf("%q", n.Value)
	}
}

// checkGoalShape refuses a list of goals before decoding calls it a type
// error: a plan has exactly one goal. It returns the line it reported, or 0.
func checkGoalShape(ps *problems, root *yaml.Node) int {
	goal := mapValue(mapValue(root, "plan"), "goal")
	if goal == nil || goal.Kind != yaml.SequenceNode {
		return 0
	}
	var names []string
	for _, n := range goal.Content {
		names = append(names, n.Value)
	}
	ps.at(goal, "plan.goal: a plan has exactly one goal, but this lists %d (%s); pick the one that matters most",
		len(names), strings.Join(names, ", "))
	return goal.Line
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}`)

// expandEnv replaces ${VAR} in every scalar value with the environment's
// value, and ${VAR:-default} with the default where VAR is unset. An unset
// variable without a default is a problem: a silently empty token would only
// fail later, at the API, with a less helpful message.
func expandEnv(ps *problems, n *yaml.Node) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			g := envRef.FindStringSubmatch(ref)
			name := g[1]
			v, ok := os.LookupEnv(name)
			if !ok && g[2] != "" {
				return g[2][2:]
			}
			if !ok {
				ps.at(n, "environment variable %s is not set (it is named here as ${%s})", name, name)
			}
			return v
		})
		if !utf8.ValidString(n.Value) {
			// Not quoted: the value may be a secret.
			ps.at(n, "the value here, from the environment, is not UTF-8 text; set the variable in UTF-8")
			n.Value = strings.ToValidUTF8(n.Value, "\uFFFD")
		}
		if n.Tag == "!!null" || n.Tag == "" {
			n.Tag = "!!str"
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			expandEnv(ps, n.Content[i])
		}
	default:
		for _, c := range n.Content {
			expandEnv(ps, c)
		}
	}
}

// leaveUnsetSecrets empties every credential of a channel that names an
// unset ${VAR} without a default (see WithoutSecrets), before expandEnv
// would refuse it, and notes the channel.
func leaveUnsetSecrets(ps *problems, root *yaml.Node) {
	channels := mapValue(root, "channels")
	if channels == nil || channels.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(channels.Content); i += 2 {
		name := channels.Content[i].Value
		var empty func(n *yaml.Node)
		empty = func(n *yaml.Node) {
			if n.Kind == yaml.ScalarNode {
				for _, g := range envRef.FindAllStringSubmatch(n.Value, -1) {
					if _, ok := os.LookupEnv(g[1]); !ok && g[2] == "" {
						n.Value, n.Tag = "", "!!str"
						ps.noteUnsetSecret(name)
						return
					}
				}
				return
			}
			for _, c := range n.Content {
				empty(c)
			}
		}
		if creds := mapValue(channels.Content[i+1], "credentials"); creds != nil && creds.Kind == yaml.MappingNode {
			for j := 1; j < len(creds.Content); j += 2 {
				empty(creds.Content[j])
			}
		}
	}
}

func (ps *problems) noteUnsetSecret(channel string) {
	if ps.unsetSecrets == nil {
		ps.unsetSecrets = map[string]bool{}
	}
	ps.unsetSecrets[channel] = true
}

// readSecretFiles fills each credential from its *_file, relative paths being
// taken from the config's folder. File contents go into the fingerprint, so a
// rotated secret makes a reload take effect.
func readSecretFiles(ps *problems, cfg *Config, dir string, fp io.Writer) {
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		ch := cfg.Channels[name]
		if ch == nil {
			continue
		}
		c := &ch.Credentials
		for _, key := range slices.Sorted(maps.Keys(c.Files)) {
			at := []any{"channels", name, "credentials", key + "_file"}
			if c.Secrets[key].IsSet() {
				ps.path(at, "channels.%s.credentials: give %s or %s_file, not both", name, key, key)
				continue
			}
			path := c.Files[key]
			if !filepath.IsAbs(path) {
				path = filepath.Join(dir, path)
			}
			data, err := readSecretFile(path)
			switch {
			case err != nil && ps.withoutSecrets:
				ps.noteUnsetSecret(name)
				continue
			case err != nil:
				ps.path(at, "channels.%s.credentials.%s_file: %v", name, key, err)
				continue
			}
			fmt.Fprintf(fp, "\x00%s\x00%s\x00%s", name, key, data)
			if c.Secrets == nil {
				c.Secrets = map[string]Secret{}
			}
			c.Secrets[key] = Secret(data)
		}
	}
}

// MaxSecretFileSize bounds a *_file: a service account's JSON key is 2–3 KB.
const MaxSecretFileSize = 64 << 10

func readSecretFile(path string) (string, error) {
	data, err := readRegular(path, MaxSecretFileSize)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			return "", fmt.Errorf("cannot read %s: %w", path, pe.Err)
		}
		return "", err
	}
	s := strings.TrimSpace(string(data))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}
