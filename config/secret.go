package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// Secret is a credential. It prints as <secret> in every format, in logs, in
// JSON and in YAML, so that a config dump or an error can never leak it; the
// value is only reachable through Reveal.
type Secret string

const redacted = "<secret>"

// Reveal returns the secret's value, for the one place that sends it.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret has a value.
func (s Secret) IsSet() bool { return s != "" }

// String prints <secret>.
func (s Secret) String() string { return redacted }

// GoString prints <secret>, also for %#v.
func (s Secret) GoString() string { return redacted }

// Format prints <secret> for every verb, %s, %v, %q and %x included.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// MarshalJSON writes "<secret>".
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalYAML writes <secret>.
func (s Secret) MarshalYAML() (any, error) { return redacted, nil }

// LogValue logs <secret>.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// Values lists every secret value the credentials hold, for redacting them
// from text an API may echo back.
func (c Credentials) Values() []string {
	var out []string
	for _, m := range []map[string]Secret{c.Secrets, c.Headers, c.Query} {
		for _, s := range m {
			if s.IsSet() {
				out = append(out, s.Reveal())
			}
		}
	}
	return out
}

// Secrets lists every secret value of every channel.
func (c *Config) Secrets() []string {
	var out []string
	for _, ch := range c.Channels {
		out = append(out, ch.Credentials.Values()...)
	}
	return append(out, c.digestSecrets()...)
}
