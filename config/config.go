package config

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Goals are the plan goals a config may name; a plan has exactly one.
var Goals = []string{"brand_awareness", "thought_leadership", "networking", "seo"}

// DefaultManualAccount is the account of a manual channel that lists none.
const DefaultManualAccount = "default"

// Config is a whole plan file after loading: decoded, defaulted, validated.
type Config struct {
	Plan     Plan                `yaml:"plan"`
	Channels map[string]*Channel `yaml:"channels"`
	KPIs     []*KPI              `yaml:"kpis"`
	// Digests are the plan's summaries sent on a schedule, by name.
	Digests map[string]*Digest `yaml:"digests"`

	// File is the path the config was read from.
	File string `yaml:"-"`
	// Fingerprint changes whenever the file or a secret file it names does;
	// a reload with the same fingerprint is a no-op.
	Fingerprint string `yaml:"-"`
	// ShardCount and ShardIndex say which part of the accounts this replica
	// reads (see Shard); a count of 0 or 1 is all of them.
	ShardCount int `yaml:"-"`
	ShardIndex int `yaml:"-"`
	// Whole is the unsharded config a shard was cut from (nil when not
	// sharded): a replica needs it to route a recording to its owner.
	Whole *Config `yaml:"-"`
	// ShardKPIs is how many of the whole plan's KPIs each shard evaluates,
	// by shard (nil when not sharded): a replica that shows the whole plan
	// says how much is missing when a peer does not answer.
	ShardKPIs []int `yaml:"-"`
}

// Plan is the strategy's frame: one goal and a time frame in one zone.
type Plan struct {
	Name     string `yaml:"name"`
	Goal     string `yaml:"goal"`
	Timezone string `yaml:"timezone"`
	Start    Date   `yaml:"start"`
	End      Date   `yaml:"end"`

	// Location is the loaded Timezone.
	Location *time.Location `yaml:"-"`
}

// StartTime is the moment the plan starts: 00:00 of its first day.
func (p Plan) StartTime() time.Time { return p.Start.Start(p.Location) }

// EndTime is the moment the plan ends: 24:00 of its last day.
func (p Plan) EndTime() time.Time { return p.End.End(p.Location) }

// AllAccounts is the accounts a run reads: the channel's own, then its
// rivals.
func (ch *Channel) AllAccounts() []string {
	if len(ch.Rivals) == 0 {
		return ch.Accounts
	}
	return append(slices.Clone(ch.Accounts), ch.Rivals...)
}

// Channel is one source of readings: a type, where and when to read it, and
// the accounts it reads.
type Channel struct {
	Type        string        `yaml:"type"`
	Schedule    string        `yaml:"schedule"`
	Timeout     time.Duration `yaml:"timeout"`
	APIURL      string        `yaml:"api_url"`
	Credentials Credentials   `yaml:"credentials"`
	Accounts    []string      `yaml:"accounts"`
	// AccountsFile names a file of more accounts, one a line (blank lines
	// and # comments skipped), relative to the config's folder: a plan of
	// thousands of accounts stays short, and a reload rereads it.
	AccountsFile string `yaml:"accounts_file"`
	// Rivals are accounts read exactly as the channel's own (in the same
	// batches), to compare with: a KPI with `versus: rivals` sets its
	// account against them. They are not the plan's accounts: no KPI is
	// on one, and a recording cannot go to one.
	Rivals []string `yaml:"rivals"`
	// accountLines says where each account read from AccountsFile came
	// from, by index into Accounts, for problems about it.
	accountLines map[int]int

	// Options some types take; TypeSpec.Options says which. The keys only
	// some types take beyond these are in Settings.
	Quota       int `yaml:"quota"`       // daily budget in API units
	Concurrency int `yaml:"concurrency"` // calls in flight at once

	// Engagement is set where the channel's posts' engagement is read: it
	// gives posts_window, or a KPI names one of the type's LevelMetrics.
	// Reading posts costs calls, so channels that need none make none.
	Engagement bool `yaml:"-"`

	// Settings are the keys only the channel's type takes, decoded into its
	// TypeSpec.Settings struct over the defaults there (see settings.go and,
	// for keys several types share, keys.go); nil for types without.
	Settings any `yaml:"-"`

	// Name is the channel's key under channels: the `channel` label.
	Name string `yaml:"-"`
}

// Credentials holds a channel's secrets by name: whatever names its type takes
// (TypeSpec.Credentials and OptionalCredentials: api_key, bearer_token,
// access_token, token, …), each given inline (usually as ${VAR}) or read from
// a file with name_file. Types with CredentialMaps (http_json) also take
// headers and query: maps of secrets sent as request headers or query
// parameters, so that the account (a label) stays free of them.
type Credentials struct {
	Secrets map[string]Secret
	// Files are the name_file keys as written (name -> path), read into
	// Secrets when the config loads.
	Files   map[string]string
	Headers map[string]Secret
	Query   map[string]Secret
}

// NewCredentials holds name, value pairs: for code and tests that build a
// channel without a file.
func NewCredentials(nameValue ...string) Credentials {
	c := Credentials{Secrets: map[string]Secret{}}
	for i := 0; i+1 < len(nameValue); i += 2 {
		c.Secrets[nameValue[i]] = Secret(nameValue[i+1])
	}
	return c
}

// Get is the secret of a name ("" when not set).
func (c Credentials) Get(name string) Secret { return c.Secrets[name] }

// UnmarshalYAML reads the credentials mapping: headers and query as maps of
// secrets, name_file keys as file paths, every other key as a secret.
func (c *Credentials) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("found %s where a mapping of credentials belongs", nodeWord(n))
	}
	c.Secrets, c.Files = map[string]Secret{}, map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i].Value, n.Content[i+1]
		switch {
		case key == "headers" || key == "query":
			m := map[string]Secret{}
			if value.Kind != yaml.MappingNode {
				return fmt.Errorf("credentials.%s: found %s where a mapping of names to secrets belongs", key, nodeWord(value))
			}
			for j := 0; j+1 < len(value.Content); j += 2 {
				if value.Content[j+1].Kind != yaml.ScalarNode {
					return fmt.Errorf("credentials.%s.%s: found %s where a secret belongs", key, value.Content[j].Value, nodeWord(value.Content[j+1]))
				}
				m[value.Content[j].Value] = Secret(value.Content[j+1].Value)
			}
			if key == "headers" {
				c.Headers = m
			} else {
				c.Query = m
			}
		case value.Kind != yaml.ScalarNode:
			return fmt.Errorf("credentials.%s: found %s where a secret belongs", key, nodeWord(value))
		case strings.HasSuffix(key, "_file"):
			c.Files[strings.TrimSuffix(key, "_file")] = value.Value
		default:
			c.Secrets[key] = Secret(value.Value)
		}
	}
	return nil
}

// keys lists the credential names given, inline or as files, sorted.
func (c Credentials) keys() []string {
	var out []string
	for k := range c.Secrets {
		out = append(out, k)
	}
	for k := range c.Files {
		if _, dup := c.Secrets[k]; !dup {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// KPI is one key performance indicator: a metric of an account, counted as
// total or growth, with milestones to reach.
type KPI struct {
	Name      string          `yaml:"name"`
	Channel   string          `yaml:"channel"`
	Account   string          `yaml:"account"`
	Metric    string          `yaml:"metric"`
	Count     vocab.Count     `yaml:"count"`
	Direction vocab.Direction `yaml:"direction"`
	// Versus "rivals" makes the KPI's value its account's comparison with
	// the channel's rivals, as Compare says (share, lead, pace).
	Versus     string          `yaml:"versus"`
	Compare    vocab.Compare   `yaml:"compare"`
	Baseline   *float64        `yaml:"baseline"`
	Tolerance  *float64        `yaml:"tolerance"`
	Milestones []MilestoneSpec `yaml:"milestones"`
	Every      vocab.Every     `yaml:"every"`
	Step       float64         `yaml:"step"`

	// Due is the KPI's milestones resolved to due times in the plan's time
	// zone (from the list, or from every and step), ascending; the engine
	// hands them to the plan arithmetic.
	Due []vocab.Milestone `yaml:"-"`
	// Position is the KPI's place in the whole plan's list of KPIs (a KPI
	// for every account expanded): a shard keeps the whole plan's positions,
	// so that replicas' parts merge back in the plan's order.
	Position int `yaml:"-"`
	// index is the KPI's place in the file's list: a KPI for every account
	// (account: "*") stands for one KPI per account, each at its entry.
	index int
}

// MilestoneSpec is a milestone as written: a target due by the end of a day.
type MilestoneSpec struct {
	Due    Date    `yaml:"due"`
	Target float64 `yaml:"target"`
	// Line is the target's line in the file, for warnings given after
	// loading (ResolutionWarnings).
	Line int `yaml:"-"`
}

// TypeSpec describes a channel type to the loader: what it yields and needs.
// The collectors package owns the table of types; main hands it to Load.
type TypeSpec struct {
	// Metrics the type yields. Empty means the metrics are named by the user:
	// under `metrics:` (UserMetrics) or freely (manual channels).
	Metrics     []string
	UserMetrics bool
	// Credentials lists the credential keys of which one must be set.
	Credentials []string
	// Options lists which of the Channel's optional keys (quota,
	// concurrency) this type takes; its other keys are its Settings'.
	Options []string
	// DefaultSchedule and DefaultTimeout apply where the channel gives none.
	DefaultSchedule string
	DefaultTimeout  time.Duration
	// NotScheduled types (manual) are never collected by the scheduler.
	NotScheduled bool
	// Manual types take values recorded by hand (`collector record`, the
	// recording API): a count kept by hand starts from nothing and changes
	// only with a recording (see plan.KPI.KeptByHand).
	Manual bool
	// ItemLedgerMetric, where set, is the metric counted from a ledger of
	// items (a feed's posts): items that scroll out of the source still
	// count, and growth counts the items dated since the plan's start.
	ItemLedgerMetric string
	// InfluenceMetric, where set, is the metric the type reads from follower
	// lists when the channel sets min_followers (Influence); such a channel
	// defaults to InfluenceSchedule, as follower lists are costly.
	InfluenceMetric   string
	InfluenceSchedule string
	// Settings, where set, is a pointer to the type's settings struct
	// holding their defaults: its yaml keys are the channel keys the type
	// takes beyond the common ones and Options (see settings.go; keys.go for
	// the ones several types share, embedded inline).
	Settings any
	// DataLag is how far before the call a reading may be dated (a rolling
	// window that ends yesterday, or days back): staleness alerts allow it.
	DataLag time.Duration
	// LevelMetrics are metrics that are levels rather than running counts
	// (engagement over the recent posts): `count: growth` on one is refused.
	LevelMetrics []string
	// EngagementUnitsPerAccount is what reading an account's posts is
	// expected to cost at least, for the quota check before a run.
	EngagementUnitsPerAccount int
	// MaxPostsWindow, where set, is the longest posts_window (Posts) the
	// type's API can page back to.
	MaxPostsWindow Days
	// Windowed types read every metric over a rolling window (clicks in the
	// last 28 days): a level that rises and falls, not a cumulative count,
	// so `count: growth` on one means nothing and is refused.
	Windowed bool
	// NoAccounts types may list no accounts.
	NoAccounts bool
	// Batch is how many accounts one API call reads (0: one).
	Batch int
	// DefaultConcurrency is how many calls a run keeps in flight unless the
	// channel sets `concurrency:`, chosen from the API's limits.
	DefaultConcurrency int
	// DefaultQuota is the daily budget in API units (0: none), a unit being
	// one call; the day ends at midnight in QuotaZone.
	DefaultQuota int
	QuotaZone    string
	// QuotaPerAccount: the API's budget is per account (GA4's tokens per
	// property), so the default is DefaultQuota times the accounts.
	QuotaPerAccount bool
	// UnitsPerCall is what one call is expected to cost, for the check
	// before a run (0: one unit).
	UnitsPerCall int
	// SpendsReported: the API reports what each call cost (GA4's tokens),
	// and the run counts that rather than its calls.
	SpendsReported bool
	// AccountCheck, where set, vets one account as written.
	AccountCheck func(string) error
	// OptionCheck, where set, vets the type's own keys where they depend on
	// the rest of the channel (twitter's api and min_followers with
	// engagement); a key alone is vetted by its settings' Validate.
	OptionCheck func(*Channel) error
	// OptionalCredentials are credential names the type takes without
	// needing one (http_json's bearer_token); CredentialMaps types also
	// take headers and query.
	OptionalCredentials []string
	CredentialMaps      bool
	// Resolution, where set, is the step in which the API shows a metric of
	// an account whose count is about value (1: exact); ResolutionNote says
	// why, for people ("YouTube rounds subscriber counts above 1,000 to
	// three significant figures").
	Resolution     func(metric string, value float64) float64
	ResolutionNote string
}

// Types maps a type name to its spec.
type Types map[string]TypeSpec
