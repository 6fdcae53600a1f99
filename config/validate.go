package config

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/kpi-collector/kpi-collector/plan"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// commonKeys are the channel keys every type takes.
var commonKeys = []string{"type", "schedule", "timeout", "api_url", "credentials", "accounts", "accounts_file", "rivals"}

// EveryAccount as a KPI's account makes it one KPI per account of its
// channel, each named <name>:<account>.
const EveryAccount = "*"

var metricName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// MaxLabelLength bounds names that become label values (channel, account,
// KPI, metric), so that a config cannot blow up the exposition.
const MaxLabelLength = 256

// applyDefaults fills in every default, before validation: the one place
// that does.
func applyDefaults(cfg *Config, types Types) {
	if cfg.Plan.Timezone == "" {
		cfg.Plan.Timezone = "UTC"
	}
	applyDigestDefaults(cfg)
	for name, ch := range cfg.Channels {
		if ch == nil {
			continue
		}
		ch.Name = name
		spec, ok := types[ch.Type]
		if !ok {
			continue
		}
		if ch.Schedule == "" {
			ch.Schedule = spec.DefaultSchedule
			if in := InfluenceOf(ch); in != nil && in.MinFollowers > 0 && spec.InfluenceSchedule != "" {
				ch.Schedule = spec.InfluenceSchedule
			}
		}
		if ch.Concurrency == 0 {
			ch.Concurrency = max(spec.DefaultConcurrency, 1)
		}
		if ch.Timeout == 0 {
			ch.Timeout = spec.DefaultTimeout
		}
		if spec.NoAccounts && len(ch.Accounts) == 0 {
			ch.Accounts = []string{DefaultManualAccount}
		}
	}
	for _, k := range cfg.KPIs {
		if k == nil {
			continue
		}
		if ch := cfg.Channels[k.Channel]; ch != nil && slices.Contains(types[ch.Type].LevelMetrics, k.Metric) && PostsOf(ch) != nil {
			ch.Engagement = true
		}
		if k.Count == "" {
			k.Count = vocab.Total
		}
		if k.Direction == "" {
			k.Direction = vocab.Up
		}
		if k.Tolerance == nil {
			t := plan.DefaultTolerance
			k.Tolerance = &t
		}
		if k.Account == "" {
			if ch := cfg.Channels[k.Channel]; ch != nil && len(ch.Accounts) == 1 {
				k.Account = ch.Accounts[0]
			}
		}
	}
}

// validate reports every problem of a defaulted config. It writes nothing:
// what the config resolves to (the plan's zone, each KPI's milestones as due
// times) is set by resolve, once the config is valid.
func validate(ps *problems, cfg *Config, types Types) {
	p := cfg.Plan
	p.Location = validatePlan(ps, &cfg.Plan)
	if len(cfg.Channels) == 0 {
		ps.path([]any{"channels"}, "channels: the plan names no channel; add at least one")
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Channels)) {
		validateChannel(ps, name, cfg.Channels[name], types)
	}
	if len(cfg.KPIs) == 0 {
		ps.path([]any{"kpis"}, "kpis: the plan names no KPI; add at least one")
	}
	// Each channel's accounts as a set: with 100,000 KPIs, looking each one's
	// account up in a list would take seconds.
	accountSets := make(map[string]map[string]bool, len(cfg.Channels))
	for name, ch := range cfg.Channels {
		if ch == nil {
			continue
		}
		set := make(map[string]bool, len(ch.Accounts))
		for _, a := range ch.Accounts {
			set[a] = true
		}
		accountSets[name] = set
	}
	seen := map[string]int{}
	for i, k := range cfg.KPIs {
		if k == nil {
			ps.path([]any{"kpis", i}, "kpis[%d] is empty", i)
			continue
		}
		if j, dup := seen[k.Name]; dup && k.Name != "" {
			ps.path([]any{"kpis", k.index, "name"}, "kpis[%d].name: %q is already the name of kpis[%d]; KPI names must be unique", k.index, k.Name, j)
		}
		seen[k.Name] = k.index
		validateKPI(ps, cfg, p, k.index, k, types, accountSets[k.Channel])
	}
	validateDigests(ps, cfg)
}

// resolve sets what a valid config resolves to: the plan's time zone and
// each KPI's milestones as due times.
func resolve(cfg *Config) {
	loc, err := time.LoadLocation(cfg.Plan.Timezone)
	if err != nil {
		loc = time.UTC // not reached: validation refused the zone
	}
	cfg.Plan.Location = loc
	// Each name is kept once: a KPI's channel, metric and account were a
	// string of their own each in the file (3 MB at 100,000 KPIs).
	names := map[string]string{}
	once := func(s string) string {
		if kept, ok := names[s]; ok {
			return kept
		}
		names[s] = s
		return s
	}
	for _, ch := range cfg.Channels {
		for i, a := range ch.Accounts {
			ch.Accounts[i] = once(a)
		}
	}
	for _, k := range cfg.KPIs {
		k.Channel, k.Metric, k.Account = once(k.Channel), once(k.Metric), once(k.Account)
	}
	// KPIs with the same milestones share one list (read only), as a plan
	// of 100,000 KPIs on a few schedules has a few lists, not 100,000.
	shared := map[string][]vocab.Milestone{}
	var key []byte
	for _, k := range cfg.KPIs {
		at := func(path ...any) []any { return append([]any{"kpis", k.index}, path...) }
		due := milestonesOf(&problems{}, cfg.Plan, at, "", k)
		key = key[:0]
		for _, m := range due {
			key = binary.LittleEndian.AppendUint64(key, uint64(m.Due.UnixNano())) //nolint:gosec // a map key: the bits, not the number
			key = binary.LittleEndian.AppendUint64(key, math.Float64bits(m.Target))
		}
		if same, ok := shared[string(key)]; ok {
			due = same
		} else {
			shared[string(key)] = due
		}
		k.Due = due
	}
}

// validatePlan checks the plan's frame and returns its time zone (UTC when
// it is not one).
func validatePlan(ps *problems, p *Plan) *time.Location {
	at := func(key string) []any { return []any{"plan", key} }
	if p.Name == "" {
		ps.path(at("name"), "plan.name is missing; it labels every series of kpi_plan_info")
	} else if why := vocab.NotPrintable(p.Name); why != "" {
		ps.path(at("name"), "plan.name %s %s; a name is printable text", vocab.Quote(p.Name), why)
	}
	if p.Goal == "" {
		ps.path(at("goal"), "plan.goal is missing; give one of %s", strings.Join(Goals, ", "))
	} else if !slices.Contains(Goals, p.Goal) {
		ps.path(at("goal"), "plan.goal: %q is not a goal; give one of %s", p.Goal, strings.Join(Goals, ", "))
	}
	loc, err := time.LoadLocation(p.Timezone)
	if err != nil || strings.EqualFold(p.Timezone, "local") {
		ps.path(at("timezone"), "plan.timezone: %q is not a time zone; give an IANA name such as Europe/Stockholm or UTC", p.Timezone)
		loc = time.UTC
	}
	frame := *p
	frame.Location = loc
	p = &frame
	switch {
	case p.Start.IsZero():
		ps.path(at("start"), "plan.start is missing; give the plan's first day as YYYY-MM-DD")
	case p.End.IsZero():
		ps.path(at("end"), "plan.end is missing; give the plan's last day as YYYY-MM-DD")
	case !p.EndTime().After(p.StartTime()):
		ps.path(at("end"), "plan.end: %s is before plan.start %s", p.End, p.Start)
	}
	return loc
}

func validateChannel(ps *problems, name string, ch *Channel, types Types) {
	at := func(path ...any) []any { return append([]any{"channels", name}, path...) }
	if ch == nil {
		ps.path(at(), "channels.%s is empty; give at least its type", name)
		return
	}
	if why := vocab.NotPrintable(name); why != "" {
		ps.path(at(), "channels: the channel name %s %s; a name is printable text", vocab.Quote(name), why)
		return // every other message would show the name
	}
	if len(name) > MaxLabelLength {
		ps.path(at(), "channels: a channel name is longer than %d characters", MaxLabelLength)
	}
	spec, ok := types[ch.Type]
	if !ok {
		if ch.Type == "" {
			ps.path(at(), "channels.%s.type is missing; give one of %s", name, strings.Join(slices.Sorted(maps.Keys(types)), ", "))
		} else {
			ps.path(at("type"), "channels.%s.type: %q is not a channel type; give one of %s", name, ch.Type, strings.Join(slices.Sorted(maps.Keys(types)), ", "))
		}
		return
	}
	node := lookupValue(ps.root, at()...)
	if node != nil {
		own := spec.Keys()
		for i := 0; i+1 < len(node.Content); i += 2 {
			key := node.Content[i].Value
			// A key no type takes was reported as unknown already.
			if !slices.Contains(own, key) && !slices.Contains(commonKeys, key) && ps.someTypeTakes(key) {
				ps.at(node.Content[i], "channels.%s.%s: type %s takes no %s%s", name, key, ch.Type, key, ownKeysWords(own))
			}
		}
	}
	if !spec.NotScheduled {
		if _, err := cron.ParseStandard(ch.Schedule); err != nil {
			ps.path(at("schedule"), "channels.%s.schedule: %q is not a cron schedule (%v); try \"@every 6h\" or \"0 */6 * * *\"", name, ch.Schedule, err)
		}
		if ch.Timeout <= 0 {
			ps.path(at("timeout"), "channels.%s.timeout: %s must be more than 0", name, ch.Timeout)
		}
	}
	if ch.APIURL != "" {
		u, ok := vocab.WebURL(ch.APIURL)
		if !ok {
			ps.path(at("api_url"), "channels.%s.api_url: %q is not an http or https URL", name, ch.APIURL)
		} else if u.User != nil {
			ps.path(at("api_url"), "channels.%s.api_url: put credentials under credentials, not in the URL", name)
		}
	}
	if len(ch.Accounts) == 0 && !spec.NoAccounts {
		ps.path(at("accounts"), "channels.%s.accounts: a %s channel needs at least one account", name, ch.Type)
	}
	seen := map[string]bool{}
	for i, a := range ch.Accounts {
		// An account of accounts_file is reported at its line there.
		report := func(format string, args ...any) { ps.path(at("accounts", i), format, args...) }
		if line, ok := ch.accountLines[i]; ok {
			report = func(format string, args ...any) {
				ps.list = append(ps.list, Problem{File: ch.AccountsFile, Line: line, Msg: fmt.Sprintf(format, args...)})
			}
		}
		switch {
		case strings.TrimSpace(a) == "":
			report("channels.%s.accounts[%d] is empty", name, i)
		case vocab.NotPrintable(a) != "":
			report("channels.%s.accounts: %s %s; an account is printable text", name, vocab.Quote(a), vocab.NotPrintable(a))
		case a == EveryAccount:
			report("channels.%s.accounts: %q is not an account; it means every account in a KPI", name, a)
		case seen[a]:
			report("channels.%s.accounts: %q is listed twice", name, a)
		case len(a) > MaxLabelLength:
			report("channels.%s.accounts[%d] is longer than %d characters", name, i, MaxLabelLength)
		case spec.AccountCheck != nil:
			if err := spec.AccountCheck(a); err != nil {
				report("channels.%s.accounts: %q: %v", name, a, err)
			}
		}
		seen[a] = true
	}
	for i, r := range ch.Rivals {
		switch {
		case strings.TrimSpace(r) == "":
			ps.path(at("rivals", i), "channels.%s.rivals[%d] is empty", name, i)
		case vocab.NotPrintable(r) != "":
			ps.path(at("rivals", i), "channels.%s.rivals: %s %s; an account is printable text", name, vocab.Quote(r), vocab.NotPrintable(r))
		case seen[r]:
			ps.path(at("rivals", i), "channels.%s.rivals: %q is one of the channel's own accounts (or listed twice); a rival is someone else's", name, r)
		case spec.AccountCheck != nil:
			if err := spec.AccountCheck(r); err != nil {
				ps.path(at("rivals", i), "channels.%s.rivals: %q: %v", name, r, err)
			}
		}
		seen[r] = true
	}
	if len(ch.Rivals) > 0 && (spec.Manual || spec.NotScheduled) {
		ps.path(at("rivals"), "channels.%s.rivals: a %s channel reads no accounts, so it has no rivals to read", name, ch.Type)
	}
	validateSharedKeys(ps, at, name, ch, spec)
	if len(spec.Credentials) > 0 && !hasCredential(ch.Credentials, spec.Credentials) && !ps.unsetSecrets[name] {
		keys := make([]string, 0, 2*len(spec.Credentials))
		for _, k := range spec.Credentials {
			keys = append(keys, k, k+"_file")
		}
		ps.path(at("credentials"), "channels.%s: a %s channel needs a credential: set credentials.%s", name, ch.Type, strings.Join(keys, " or credentials."))
	}
	takes := append(slices.Clone(spec.Credentials), spec.OptionalCredentials...)
	for _, key := range ch.Credentials.keys() {
		if !slices.Contains(takes, key) {
			ps.path(at("credentials", key), "channels.%s.credentials: a %s channel takes no credential %q%s", name, ch.Type, key, takesWords(takes))
		}
	}
	if !spec.CredentialMaps && (ch.Credentials.Headers != nil || ch.Credentials.Query != nil) {
		ps.path(at("credentials"), "channels.%s.credentials: a %s channel takes no headers or query", name, ch.Type)
	}
	for key, value := range ch.Credentials.Secrets {
		if isPlaceholder(value.Reveal()) {
			ps.path(at("credentials", key), "channels.%s.credentials.%s is an example's placeholder, not a secret: anyone who reads the example could use it; set a value of your own", name, key)
		}
	}
	validateSettings(ps, name, ch)
	if spec.OptionCheck != nil {
		if err := spec.OptionCheck(ch); err != nil {
			key, _, _ := strings.Cut(err.Error(), ":")
			ps.path(at(key), "channels.%s.%v", name, err)
		}
	}
	if ch.Quota < 0 {
		ps.path(at("quota"), "channels.%s.quota: %d must not be negative", name, ch.Quota)
	}
	if ch.Concurrency < 0 {
		ps.path(at("concurrency"), "channels.%s.concurrency: %d must not be negative", name, ch.Concurrency)
	}
}

// validateSharedKeys checks the keys several types share (keys.go) where
// the channel's type takes them, each at its line.
func validateSharedKeys(ps *problems, at func(...any) []any, name string, ch *Channel, spec TypeSpec) {
	if p := PostsOf(ch); p != nil && spec.MaxPostsWindow > 0 && p.PostsWindow > spec.MaxPostsWindow {
		ps.path(at("posts_window"), "channels.%s.posts_window: %s is further back than the %s API pages posts (%s at most)", name, p.PostsWindow, ch.Type, spec.MaxPostsWindow)
	}
	if p := PagesOf(ch); p != nil && p.MaxPages < 1 {
		ps.path(at("max_pages"), "channels.%s.max_pages: %d must be at least 1", name, p.MaxPages)
	}
	if in := InfluenceOf(ch); in != nil && in.MinFollowers < 0 {
		ps.path(at("min_followers"), "channels.%s.min_followers: %d must not be negative", name, in.MinFollowers)
	}
	if spec.UserMetrics {
		metrics := UserMetricsOf(ch)
		if len(metrics) == 0 {
			ps.path(at("metrics"), "channels.%s.metrics: a %s channel needs at least one metric: name -> where to find it", name, ch.Type)
		}
		for _, m := range slices.Sorted(maps.Keys(metrics)) {
			if !metricName.MatchString(m) {
				ps.path(at("metrics", m), "channels.%s.metrics: %q is not a metric name (lower case letters, digits and _)", name, m)
			}
		}
	}
}

func hasCredential(c Credentials, keys []string) bool {
	for _, k := range keys {
		if c.Secrets[k].IsSet() {
			return true
		}
	}
	return false
}

func validateKPI(ps *problems, cfg *Config, p Plan, i int, k *KPI, types Types, accounts map[string]bool) {
	at := func(path ...any) []any { return append([]any{"kpis", i}, path...) }
	label := fmt.Sprintf("kpis[%d]", i)
	why := vocab.NotPrintable(k.Name)
	if k.Name != "" && why == "" {
		label = fmt.Sprintf("kpi %s", k.Name)
	}
	switch {
	case k.Name == "":
		ps.path(at(), "%s has no name; give it one, it becomes the kpi label", label)
	case why != "":
		// A newline would let the name write a second KPI into --suggest's
		// YAML; an escape sequence would run in a terminal.
		ps.path(at("name"), "kpi %s: the name %s; a name is printable text", vocab.Quote(k.Name), why)
	case len(k.Name) > MaxLabelLength:
		ps.path(at("name"), "%s: the name is longer than %d characters", label, MaxLabelLength)
	}
	if k.Count != vocab.Total && k.Count != vocab.Growth {
		ps.path(at("count"), "%s: count %q must be total or growth", label, k.Count)
	}
	if k.Direction != vocab.Up && k.Direction != vocab.Down {
		ps.path(at("direction"), "%s: direction %q must be up (higher is better) or down (lower is better, such as a search position)", label, k.Direction)
	}
	if t := *k.Tolerance; t < 0 || t >= 1 || math.IsNaN(t) {
		ps.path(at("tolerance"), "%s: tolerance %v must be at least 0 and under 1 (0.05 is 5%%)", label, t)
	}
	ch := cfg.Channels[k.Channel]
	switch {
	case k.Channel == "":
		ps.path(at(), "%s names no channel; give one of %s", label, strings.Join(slices.Sorted(maps.Keys(cfg.Channels)), ", "))
	case ch == nil:
		ps.path(at("channel"), "%s: channel %q is not among channels (%s)", label, k.Channel, strings.Join(slices.Sorted(maps.Keys(cfg.Channels)), ", "))
	default:
		if k.Account == "" {
			ps.path(at(), "%s names no account, and channel %s has %d; give account: one of %s", label, k.Channel, len(ch.Accounts), vocab.FewOf(ch.Accounts))
		} else if !accounts[k.Account] {
			ps.path(at("account"), "%s: account %s is not among channel %s's %d accounts (%s)", label, vocab.Quote(k.Account), k.Channel, len(ch.Accounts), vocab.FewOf(ch.Accounts))
		}
		if spec, ok := types[ch.Type]; ok {
			validateMetric(ps, at("metric"), label, k.Metric, ch, spec)
			if slices.Contains(spec.LevelMetrics, k.Metric) && k.Count == vocab.Growth {
				ps.path(at("count"), "%s: %s is a level over the recent posts (it rises and falls), not a running count, so count: growth has no meaning; use count: total (the default)", label, k.Metric)
			}
			validateVersus(ps, at, label, k, ch)
			if spec.Windowed && k.Count == vocab.Growth {
				ps.path(at("count"), "%s: a %s channel reads %s over a rolling window, a level that rises and falls rather than a running count, so count: growth has no meaning; use count: total (the default) with targets for the level itself", label, ch.Type, k.Metric)
			}
		}
	}
	milestonesOf(ps, p, at, label, k)
}

// validateVersus checks a KPI set against the channel's rivals.
func validateVersus(ps *problems, at func(...any) []any, label string, k *KPI, ch *Channel) {
	switch {
	case k.Versus == "" && k.Compare != "":
		ps.path(at("compare"), "%s: compare needs versus: rivals", label)
	case k.Versus == "":
	case k.Versus != "rivals":
		ps.path(at("versus"), "%s: versus %q must be rivals", label, k.Versus)
	case len(ch.Rivals) == 0:
		ps.path(at("versus"), "%s: versus: rivals, but channel %s lists no rivals; add rivals: [...] to it", label, ch.Name)
	case k.Compare != vocab.Share && k.Compare != vocab.Lead && k.Compare != vocab.Pace:
		ps.path(at("compare"), "%s: compare %q must be share (own ÷ own and rivals), lead (own − the best rival) or pace (own daily growth ÷ the rivals' median)", label, k.Compare)
	case k.Count == vocab.Growth:
		ps.path(at("count"), "%s: a comparison with rivals is a level (a share, a lead, a ratio), so count: growth has no meaning; use count: total", label)
	}
}

func validateMetric(ps *problems, at []any, label, metric string, ch *Channel, spec TypeSpec) {
	var known []string
	switch {
	case spec.UserMetrics:
		known = slices.Sorted(maps.Keys(UserMetricsOf(ch)))
	case len(spec.Metrics) > 0:
		known = spec.Metrics
	}
	switch {
	case metric == "":
		ps.path(at, "%s names no metric", label)
	case known != nil && !slices.Contains(known, metric):
		ps.path(at, "%s: a %s channel has no metric %q; it has %s", label, ch.Type, metric, strings.Join(known, ", "))
	case metric == spec.InfluenceMetric && (InfluenceOf(ch) == nil || InfluenceOf(ch).MinFollowers <= 0):
		ps.path(at, "%s: %s counts followers who have at least min_followers of their own; set channels.%s.min_followers", label, metric, ch.Name)
	case known == nil && !metricName.MatchString(metric):
		ps.path(at, "%s: %q is not a metric name (lower case letters, digits and _)", label, metric)
	}
}

// milestonesOf resolves a KPI's milestones to due times in the plan p (its
// Location set), from the list or from every and step, reporting what is
// wrong with them. It writes nothing.
func milestonesOf(ps *problems, p Plan, at func(...any) []any, label string, k *KPI) []vocab.Milestone {
	if p.Location == nil || p.Start.IsZero() || p.End.IsZero() {
		return nil // the plan's own problems are reported already
	}
	var out []vocab.Milestone
	recurring := k.Every != "" || k.Step != 0
	switch {
	case recurring && len(k.Milestones) > 0:
		ps.path(at("every"), "%s: give milestones or every and step, not both", label)
		return nil
	case recurring:
		if k.Step <= 0 || math.IsInf(k.Step, 0) || math.IsNaN(k.Step) {
			ps.path(at("step"), "%s: step must be a number more than 0, the rise from one milestone to the next (the fall, with direction: down)", label)
			return nil
		}
		if k.Count == vocab.Total && k.Baseline == nil {
			ps.path(at("step"), "%s: recurring milestones on a total count need a baseline to rise from (or use count: growth)", label)
			return nil
		}
		base := 0.0
		if k.Baseline != nil {
			base = *k.Baseline
		}
		step := k.Step
		if k.Direction == vocab.Down {
			step = -step // a lower-is-better KPI's milestones fall by step
		}
		ms, err := plan.Recurring(p.StartTime(), p.End.Start(p.Location), k.Every, base, step, p.Location)
		if err != nil {
			ps.path(at("every"), "%s: %v", label, err)
			return nil
		}
		if len(ms) == 0 {
			ps.path(at("every"), "%s: no %s ends between plan.start %s and plan.end %s", label, k.Every, p.Start, p.End)
		}
		return ms
	}
	if len(k.Milestones) == 0 {
		ps.path(at(), "%s has no milestones; give milestones: [{due: YYYY-MM-DD, target: N}, ...] or every: month and step: N", label)
		return nil
	}
	var prev Date
	for j, m := range k.Milestones {
		due := m.Due.End(p.Location)
		switch {
		case m.Due.IsZero():
			ps.path(at("milestones", j), "%s: milestone %d has no due date", label, j+1)
		case due.Before(p.StartTime()) || due.After(p.EndTime()):
			ps.path(at("milestones", j, "due"), "%s: milestone due %s is outside the plan (%s to %s)", label, m.Due, p.Start, p.End)
		case j > 0 && !due.After(prev.End(p.Location)):
			ps.path(at("milestones", j, "due"), "%s: milestone due %s is not after the one before it (%s); list milestones in date order", label, m.Due, prev)
		}
		if math.IsNaN(m.Target) || math.IsInf(m.Target, 0) {
			ps.path(at("milestones", j, "target"), "%s: milestone target must be a finite number", label)
		}
		prev = m.Due
		out = append(out, vocab.Milestone{Due: due, Target: m.Target})
	}
	return out
}

// placeholders are the values examples ship for a secret: a credential that
// is one of them would let anyone who read the example in.
var placeholders = []string{"change-me", "changeme", "change_me", "replace-me", "replaceme", "your-token", "your-secret", "your-key", "secret", "token", "password", "xxx", "todo", "example"}

func isPlaceholder(v string) bool {
	return slices.Contains(placeholders, strings.ToLower(strings.TrimSpace(v)))
}

// takesWords says which credentials a type takes, for messages.
func takesWords(takes []string) string {
	if len(takes) == 0 {
		return " (it takes none)"
	}
	return " (it takes " + strings.Join(takes, ", ") + ")"
}

// ownKeysWords says which keys beyond the common ones a type takes, for
// messages.
func ownKeysWords(keys []string) string {
	if len(keys) == 0 {
		return " (it takes only the keys every channel takes)"
	}
	return " (beyond the keys every channel takes, it takes " + strings.Join(keys, ", ") + ")"
}
