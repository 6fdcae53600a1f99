package config_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
)

const (
	smtpPassword = "smtp-pass-0000-test"
	slackURL     = "https://hooks.slack.com/services/T000/B000/XXXXsecretXXXX"
)

// withDigests is good.yml with digests appended; the first digest line is
// returned so that tests can name lines from it.
func withDigests(t *testing.T, digests string) (file string, firstLine int) {
	t.Helper()
	good, err := os.ReadFile("testdata/good.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("newsletter-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "smtp-password"), []byte(smtpPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	text := strings.TrimRight(string(good), "\n") + "\n\ndigests:\n" + digests
	file = filepath.Join(dir, "plan.yml")
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return file, strings.Count(strings.TrimRight(string(good), "\n"), "\n") + 3
}

func TestDigestsGood(t *testing.T) {
	setEnv(t)
	t.Setenv("KPI_TEST_SLACK_URL", slackURL)
	file, _ := withDigests(t, `  weekly:
    schedule: "0 8 * * MON"
    smtp:
      host: smtp.acme.example
      username: kpi
      password_file: smtp-password
      from: "KPI collector <kpi@acme.example>"
      to: [marketing@acme.example]
    webhooks:
      - { type: slack, url: "${KPI_TEST_SLACK_URL}" }
      - { type: json, url: "https://hooks.acme.example/kpi" }
  relay:
    schedule: "0 9 1 * *"
    smtp: { host: localhost, tls: none, from: kpi@acme.example, to: [boss@acme.example] }
`)
	cfg, err := config.LoadFile(file, collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	w := cfg.Digests["weekly"]
	if w.Name != "weekly" || w.SMTP.Port != 587 || w.SMTP.TLS != config.TLSStartTLS || w.SMTP.Password.Reveal() != smtpPassword {
		t.Errorf("weekly = %+v, smtp %+v", w, w.SMTP)
	}
	if w.Webhooks[0].URL.Reveal() != slackURL || w.Webhooks[1].Type != "json" {
		t.Errorf("webhooks = %+v %+v", w.Webhooks[0], w.Webhooks[1])
	}
	if r := cfg.Digests["relay"].SMTP; r.Port != 25 || r.Address() != "localhost:25" {
		t.Errorf("relay smtp = %+v", r)
	}
	// The secrets are known for redaction, and never printed.
	secrets := strings.Join(cfg.Secrets(), " ")
	if !strings.Contains(secrets, smtpPassword) || !strings.Contains(secrets, slackURL) {
		t.Errorf("Secrets() lacks the digests' secrets")
	}
	dump := fmt.Sprintf("%v %+v %#v %+v", w, *w.SMTP, *w.Webhooks[0], cfg.Digests)
	if strings.Contains(dump, smtpPassword) || strings.Contains(dump, "XXXXsecretXXXX") {
		t.Errorf("a digest secret shows when printed: %s", dump)
	}
	// A rotated password file changes the fingerprint, so a reload takes it.
	before := cfg.Fingerprint
	if err := os.WriteFile(filepath.Join(filepath.Dir(file), "smtp-password"), []byte("rotated-0000-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, err := config.LoadFile(file, collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	if again.Fingerprint == before {
		t.Error("a new password file left the fingerprint as it was")
	}
}

func TestDigestsBad(t *testing.T) {
	setEnv(t)
	good := `  weekly:
    schedule: "0 8 * * MON"
    smtp:
      host: smtp.acme.example
      username: kpi
      password_file: smtp-password
      from: kpi@acme.example
      to: [marketing@acme.example]
    webhooks:
      - { type: slack, url: "https://hooks.slack.com/services/T0/B0/secretpart" }
`
	tests := []struct {
		name      string
		from, to  string
		wantLine  int // from the digests: line (0)
		wantWords []string
	}{
		{"an unknown key", "    schedule:", "    schedul:", 2, []string{`unknown key "schedul"`}},
		{"a bad schedule", `"0 8 * * MON"`, `"Mondays"`, 2, []string{`"Mondays" is not a cron schedule`}},
		{"a zone in the schedule", `"0 8 * * MON"`, `"CRON_TZ=UTC 0 8 * * MON"`, 2, []string{"plan's (plan.timezone)"}},
		{"a bad tls", "      host: smtp.acme.example\n", "      host: smtp.acme.example\n      tls: ssl\n", 5, []string{`"ssl" must be starttls`}},
		{"a password in clear", "      host: smtp.acme.example\n", "      host: smtp.acme.example\n      tls: none\n", 5, []string{"in clear"}},
		{"no password", "      password_file: smtp-password\n", "", 5, []string{`username "kpi" has no password`}},
		{"both password forms", "      password_file: smtp-password\n", "      password_file: smtp-password\n      password: other-0000\n", 6, []string{"password or password_file, not both"}},
		{"a missing password file", "password_file: smtp-password", "password_file: nosuch", 6, []string{"nosuch"}},
		{"a bad from", "from: kpi@acme.example", "from: kpi", 7, []string{`"kpi" is not an e-mail address`}},
		{"a bad to", "[marketing@acme.example]", "[marketing@acme.example, nobody]", 8, []string{`to[1]: "nobody" is not an e-mail address`}},
		{"a bad port", "      host: smtp.acme.example\n", "      host: smtp.acme.example\n      port: 99999\n", 5, []string{"99999 is not a port"}},
		{"an unknown webhook type", "type: slack", "type: telegram", 10, []string{`"telegram" must be one of slack, teams, mattermost, discord, json`}},
		{"a webhook URL that is not one", `url: "https://hooks.slack.com/services/T0/B0/secretpart"`, `url: "hooks.slack.com/services/T0/B0/secretpart"`, 10, []string{"not an http or https URL"}},
		{"nowhere to go", "    webhooks:\n      - { type: slack, url: \"https://hooks.slack.com/services/T0/B0/secretpart\" }\n", "", 1, nil},
		{"no schedule", "    schedule: \"0 8 * * MON\"\n", "", 1, []string{"schedule is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := strings.Replace(good, tt.from, tt.to, 1)
			if text == good {
				t.Fatalf("%q not found", tt.from)
			}
			if tt.name == "nowhere to go" {
				text = strings.Replace(text, "    smtp:\n      host: smtp.acme.example\n      username: kpi\n      password_file: smtp-password\n      from: kpi@acme.example\n      to: [marketing@acme.example]\n", "", 1)
				tt.wantWords = []string{"goes nowhere"}
			}
			file, first := withDigests(t, text)
			_, err := config.LoadFile(file, collectors.Types())
			if err == nil {
				t.Fatal("loaded")
			}
			want := fmt.Sprintf("%s:%d: ", file, first+tt.wantLine)
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not name %s", err, want)
			}
			for _, w := range tt.wantWords {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "secretpart") {
				t.Errorf("the error shows the webhook URL: %v", err)
			}
		})
	}
}
