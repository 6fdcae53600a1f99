package config

import (
	"fmt"
	"io"
	"maps"
	"net"
	"net/mail"
	"path/filepath"
	"slices"
	"strings"

	"github.com/robfig/cron/v3"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Digest is a summary of the plan sent on a schedule: by e-mail, to chat
// webhooks, or both.
type Digest struct {
	// Schedule is a cron spec read in the plan's time zone ("0 8 * * MON":
	// Mondays at 08:00 there).
	Schedule string     `yaml:"schedule"`
	SMTP     *SMTP      `yaml:"smtp"`
	Webhooks []*Webhook `yaml:"webhooks"`

	// Name is the digest's key under digests: the `digest` label.
	Name string `yaml:"-"`
}

// The ways an SMTP connection is secured.
const (
	TLSStartTLS = "starttls" // submission on 587: plain, then STARTTLS (required)
	TLSImplicit = "implicit" // submissions on 465: TLS from the first byte
	TLSNone     = "none"     // a local relay on 25: no TLS, no credentials
)

// SMTP is where a digest is mailed.
type SMTP struct {
	Host         string   `yaml:"host"`
	Port         int      `yaml:"port"`
	TLS          string   `yaml:"tls"`
	Username     string   `yaml:"username"`
	Password     Secret   `yaml:"password"`
	PasswordFile string   `yaml:"password_file"`
	From         string   `yaml:"from"`
	To           []string `yaml:"to"`
}

// WebhookTypes are the chat services a webhook posts to, and json: the
// report's JSON to any endpoint.
var WebhookTypes = []string{"slack", "teams", "mattermost", "discord", "json"}

// Webhook is a chat service's incoming webhook. Its URL is a secret: for
// Slack, Discord and Teams workflows the URL alone lets anyone post.
type Webhook struct {
	Type    string `yaml:"type"`
	URL     Secret `yaml:"url"`
	URLFile string `yaml:"url_file"`
}

// defaultPorts is the port of each TLS mode where smtp gives none (RFC 8314).
var defaultPorts = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}

// Address is host:port.
func (s *SMTP) Address() string { return net.JoinHostPort(s.Host, fmt.Sprint(s.Port)) }

// applyDigestDefaults names each digest and fills in the SMTP defaults.
func applyDigestDefaults(cfg *Config) {
	for name, d := range cfg.Digests {
		if d == nil {
			continue
		}
		d.Name = name
		if s := d.SMTP; s != nil {
			if s.TLS == "" {
				s.TLS = TLSStartTLS
			}
			if s.Port == 0 {
				s.Port = defaultPorts[s.TLS]
			}
		}
	}
}

// readDigestSecretFiles reads password_file and url_file, relative paths
// from the config's folder; their contents go into the fingerprint.
func readDigestSecretFiles(ps *problems, cfg *Config, dir string, fp io.Writer) {
	// read is the secret at path (its last step the key, such as
	// "password"): inline, or from key_file.
	read := func(path []any, what string, inline Secret, file string) (Secret, bool) {
		if file == "" {
			return inline, false
		}
		key := path[len(path)-1].(string)
		fileAt := append(slices.Clone(path[:len(path)-1]), key+"_file")
		if inline.IsSet() {
			ps.path(fileAt, "%s: give %s or %s_file, not both", what, key, key)
			return inline, false
		}
		full := file
		if !filepath.IsAbs(full) {
			full = filepath.Join(dir, full)
		}
		data, err := readSecretFile(full)
		if err != nil {
			ps.path(fileAt, "%s.%s_file: %v", what, key, err)
			return "", false
		}
		fmt.Fprintf(fp, "\x00digest\x00%s\x00%s\x00%s", what, key, data)
		return Secret(data), true
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Digests)) {
		d := cfg.Digests[name]
		if d == nil {
			continue
		}
		if s := d.SMTP; s != nil {
			if v, ok := read([]any{"digests", name, "smtp", "password"}, "digests."+name+".smtp", s.Password, s.PasswordFile); ok {
				s.Password = v
			}
		}
		for i, w := range d.Webhooks {
			if w == nil {
				continue
			}
			if v, ok := read([]any{"digests", name, "webhooks", i, "url"}, fmt.Sprintf("digests.%s.webhooks[%d]", name, i), w.URL, w.URLFile); ok {
				w.URL = v
			}
		}
	}
}

// validateDigests reports every problem of the digests.
func validateDigests(ps *problems, cfg *Config) {
	for _, name := range slices.Sorted(maps.Keys(cfg.Digests)) {
		d := cfg.Digests[name]
		at := func(path ...any) []any { return append([]any{"digests", name}, path...) }
		label := "digests." + name
		if d == nil {
			ps.path(at(), "%s is empty; give its schedule and where it goes (smtp, webhooks)", label)
			continue
		}
		if len(name) > MaxLabelLength || strings.TrimSpace(name) == "" {
			ps.path(at(), "digests: a digest's name must be 1 to %d characters; it becomes the digest label", MaxLabelLength)
		}
		if d.Schedule == "" {
			ps.path(at(), "%s.schedule is missing; give a cron schedule in the plan's time zone, such as \"0 8 * * MON\" (Mondays at 08:00)", label)
		} else if _, err := cron.ParseStandard(d.Schedule); err != nil {
			ps.path(at("schedule"), "%s.schedule: %q is not a cron schedule (%v); try \"0 8 * * MON\" (Mondays at 08:00)", label, d.Schedule, err)
		} else if strings.Contains(d.Schedule, "TZ=") {
			ps.path(at("schedule"), "%s.schedule: %q names a time zone; a digest's schedule is read in the plan's (plan.timezone)", label, d.Schedule)
		}
		if d.SMTP == nil && len(d.Webhooks) == 0 {
			ps.path(at(), "%s goes nowhere; give smtp, webhooks or both", label)
		}
		if d.SMTP != nil {
			validateSMTP(ps, at, label+".smtp", d.SMTP)
		}
		for i, w := range d.Webhooks {
			validateWebhook(ps, func(path ...any) []any { return at(append([]any{"webhooks", i}, path...)...) }, fmt.Sprintf("%s.webhooks[%d]", label, i), w)
		}
	}
}

func validateSMTP(ps *problems, parent func(...any) []any, label string, s *SMTP) {
	at := func(path ...any) []any { return parent(append([]any{"smtp"}, path...)...) }
	if s.Host == "" {
		ps.path(at(), "%s.host is missing; give the mail server's name", label)
	}
	if (s.Port != 0 || defaultPorts[s.TLS] != 0) && (s.Port < 1 || s.Port > 65535) {
		ps.path(at("port"), "%s.port: %d is not a port", label, s.Port)
	}
	if _, ok := defaultPorts[s.TLS]; !ok {
		ps.path(at("tls"), "%s.tls: %q must be starttls (port 587), implicit (port 465) or none (a local relay only)", label, s.TLS)
	}
	switch {
	case s.Username != "" && !s.Password.IsSet() && s.PasswordFile == "":
		ps.path(at("username"), "%s: username %q has no password; set password or password_file", label, s.Username)
	case s.Username == "" && s.Password.IsSet():
		ps.path(at("password"), "%s: a password needs a username", label)
	case s.TLS == TLSNone && s.Password.IsSet():
		ps.path(at("tls"), "%s: tls: none would send the password in clear; use starttls or implicit (none is for a local relay without credentials)", label)
	}
	if s.Password.IsSet() && isPlaceholder(s.Password.Reveal()) {
		ps.path(at("password"), "%s.password is an example's placeholder, not a secret; set a value of your own", label)
	}
	if s.From == "" {
		ps.path(at(), "%s.from is missing; give the sender's address", label)
	} else if _, err := mail.ParseAddress(s.From); err != nil {
		ps.path(at("from"), "%s.from: %q is not an e-mail address", label, s.From)
	}
	if len(s.To) == 0 {
		ps.path(at(), "%s.to is missing; list at least one address", label)
	}
	for i, to := range s.To {
		if _, err := mail.ParseAddress(to); err != nil {
			ps.path(at("to", i), "%s.to[%d]: %q is not an e-mail address", label, i, to)
		}
	}
}

func validateWebhook(ps *problems, at func(...any) []any, label string, w *Webhook) {
	if w == nil {
		ps.path(at(), "%s is empty; give its type and url", label)
		return
	}
	if !slices.Contains(WebhookTypes, w.Type) {
		ps.path(at("type"), "%s.type: %q must be one of %s", label, w.Type, strings.Join(WebhookTypes, ", "))
	}
	if !w.URL.IsSet() {
		ps.path(at(), "%s.url is missing; give the webhook's URL (url or url_file)", label)
		return
	}
	// The URL is a secret: a problem never quotes it.
	if _, ok := vocab.WebURL(w.URL.Reveal()); !ok {
		ps.path(at("url"), "%s.url is not an http or https URL", label)
	}
}

// digestSecrets lists the digests' secret values, for redaction.
func (c *Config) digestSecrets() []string {
	var out []string
	for _, d := range c.Digests {
		if d == nil {
			continue
		}
		if d.SMTP != nil && d.SMTP.Password.IsSet() {
			out = append(out, d.SMTP.Password.Reveal())
		}
		for _, w := range d.Webhooks {
			if w != nil && w.URL.IsSet() {
				out = append(out, w.URL.Reveal())
			}
		}
	}
	return out
}
