package collectors

import (
	"net/http"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// No credential (header, query parameter, custom header) follows a redirect
// to another host; a redirect on the same host is followed.
func TestCredentialsNeverLeaveTheirHost(t *testing.T) {
	const secret = "SECRET-do-not-leak-42"
	creds := func() config.Credentials {
		c := config.NewCredentials("api_key", secret, "bearer_token", secret, "access_token", secret)
		c.Headers = map[string]config.Secret{"X-Api-Key": secret}
		c.Query = map[string]config.Secret{"api_key": secret}
		return c
	}()
	tests := []struct {
		ch      config.Channel
		account string
	}{
		{config.Channel{Type: "youtube"}, "UC_x5XG1OV2P6uZZ5FSM9Ttw"},
		{config.Channel{Type: "twitter"}, "acme"},
		{config.Channel{Type: "twitter", Settings: &twitterSettings{API: "v1.1"}}, "acme"},
		{config.Channel{Type: "facebook"}, "20531316728"},
		{config.Channel{Type: "linkedin"}, "1234567"},
		{config.Channel{Type: "http_json", Settings: httpJSONMetrics(map[string]string{"n": "n"})}, "/stats"},
	}
	for _, tt := range tests {
		name := tt.ch.Type + settingsFor[twitterSettings](&tt.ch).API
		t.Run(name, func(t *testing.T) {
			elsewhere := newFake(t, func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(`{"n":1}`)) })
			api := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, elsewhere.URL+r.URL.Path, http.StatusFound)
			})
			ch := tt.ch
			ch.APIURL, ch.Credentials = api.URL, creds
			account := tt.account
			if ch.Type == "http_json" {
				account = api.URL + account
			}
			res, _ := collect(t, &ch, []string{account})
			elsewhere.mu.Lock()
			defer elsewhere.mu.Unlock()
			for _, r := range elsewhere.requests {
				if strings.Contains(r.URL.String(), secret) || strings.Contains(strings.Join(flatten(r.Header), " "), secret) {
					t.Errorf("the credential reached another host: %s %v", r.URL, r.Header)
				}
			}
			if len(elsewhere.requests) > 0 {
				t.Errorf("%d requests followed the redirect to another host", len(elsewhere.requests))
			}
			if len(res.Errors) == 0 || !strings.Contains(res.Errors[0].Error(), "refused a redirect") {
				t.Errorf("errors %v, want one saying the redirect was refused", res.Errors)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Error(), secret) {
					t.Errorf("an error shows the credential: %v", e)
				}
			}
		})
	}

	t.Run("a redirect on the same host is followed", func(t *testing.T) {
		var api *fake
		api = newFake(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/old" {
				http.Redirect(w, r, api.URL+"/json/lists/42", http.StatusMovedPermanently)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(fakeapi.File("http_json/mailchimp_list.json"))
		})
		ch := &config.Channel{Type: "http_json", Settings: httpJSONMetrics(map[string]string{"subscribers": "stats.member_count"}), Credentials: config.NewCredentials("bearer_token", secret)}
		res, _ := collect(t, ch, []string{api.URL + "/old"})
		if len(res.Readings) != 1 || len(res.Errors) > 0 {
			t.Errorf("readings %v, errors %v", res.Readings, res.Errors)
		}
	})
}

func flatten(h http.Header) []string {
	var out []string
	for _, vs := range h {
		out = append(out, vs...)
	}
	return out
}
