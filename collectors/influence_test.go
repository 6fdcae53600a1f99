package collectors

import (
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func reading(res Result, account, metric string) (float64, bool) {
	for _, r := range res.Readings {
		if r.Account == account && r.Metric == metric {
			return r.Value, true
		}
	}
	return 0, false
}

func TestInfluentialFollowers(t *testing.T) {
	tests := []struct {
		name       string
		ch         config.Channel
		fail       map[fakeapi.API]string
		account    string
		want       float64
		wantCalls  map[fakeapi.API]int
		wantReason Reason // for influential_followers, when the list is too long
	}{
		{
			name: "X: 2,500 followers in three pages of 1,000, 1,500 of them with 1,000 followers or more",
			ch:   config.Channel{Type: "twitter", Settings: &twitterSettings{Influence: config.Influence{MinFollowers: 1000}, Pages: config.Pages{MaxPages: 10}}, Credentials: config.NewCredentials("bearer_token", fakeapi.XBearer)}, account: "XDevelopers",
			want: 1500, wantCalls: map[fakeapi.API]int{fakeapi.X: 1, fakeapi.XFollowers: 3},
		},
		{
			name: "X: a list longer than max_pages gives no count at all",
			ch:   config.Channel{Type: "twitter", Settings: &twitterSettings{Influence: config.Influence{MinFollowers: 1000}, Pages: config.Pages{MaxPages: 2}}, Credentials: config.NewCredentials("bearer_token", fakeapi.XBearer)}, account: "XDevelopers",
			wantReason: Quota, wantCalls: map[fakeapi.API]int{fakeapi.X: 1, fakeapi.XFollowers: 2},
		},
		{
			name: "Bluesky: 250 followers in pages of 100, their counts 25 at a time; 150 with 100 or more",
			ch:   config.Channel{Type: "bluesky", Settings: &blueskySettings{Influence: config.Influence{MinFollowers: 100}, Pages: config.Pages{MaxPages: 50}}}, account: "bsky.app",
			want: 150, wantCalls: map[fakeapi.API]int{fakeapi.Bluesky: 1 + 4 + 4 + 2, fakeapi.BlueskyFollowers: 3},
		},
		{
			name: "Bluesky: a list longer than max_pages gives no count at all",
			ch:   config.Channel{Type: "bluesky", Settings: &blueskySettings{Influence: config.Influence{MinFollowers: 100}, Pages: config.Pages{MaxPages: 1}}}, account: "bsky.app",
			wantReason: Quota, wantCalls: map[fakeapi.API]int{fakeapi.BlueskyFollowers: 1},
		},
		{
			name: "X: a follower without public_metrics makes the count unknown, not lower",
			ch:   config.Channel{Type: "twitter", Settings: &twitterSettings{Influence: config.Influence{MinFollowers: 1000}, Pages: config.Pages{MaxPages: 10}}, Credentials: config.NewCredentials("bearer_token", fakeapi.XBearer)}, account: "XDevelopers",
			fail: map[fakeapi.API]string{fakeapi.XFollowers: "no_metrics"}, wantReason: Decode, wantCalls: map[fakeapi.API]int{fakeapi.XFollowers: 2},
		},
		{
			name: "Bluesky: a follower without followersCount makes the count unknown, not lower",
			ch:   config.Channel{Type: "bluesky", Settings: &blueskySettings{Influence: config.Influence{MinFollowers: 100}, Pages: config.Pages{MaxPages: 50}}}, account: "bsky.app",
			fail: map[fakeapi.API]string{fakeapi.BlueskyFollowers: "no_counts"}, wantReason: Decode, wantCalls: map[fakeapi.API]int{fakeapi.BlueskyFollowers: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			for a, mode := range tt.fail {
				api.Fail(a, mode)
			}
			ch := tt.ch
			ch.APIURL = api.URL
			res, _ := collect(t, &ch, []string{tt.account})
			got, ok := reading(res, tt.account, "influential_followers")
			if tt.wantReason == "" && (!ok || got != tt.want) {
				t.Errorf("influential_followers = %v (read %v), want %v; errors %v", got, ok, tt.want, res.Errors)
			}
			if tt.wantReason != "" {
				if ok {
					t.Errorf("a partial count was reported: %v", got)
				}
				if r := reasons(res)[tt.account+"/influential_followers"]; r != tt.wantReason {
					t.Errorf("reason %q, want %q (%v)", r, tt.wantReason, res.Errors)
				}
			}
			if _, ok := reading(res, tt.account, "followers"); !ok {
				t.Error("the plain follower count is missing")
			}
			for a, n := range tt.wantCalls {
				if api.Calls(a) != n {
					t.Errorf("%s: %d calls, want %d", a, api.Calls(a), n)
				}
			}
		})
	}
}
