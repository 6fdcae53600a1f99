package collectors

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

// blueskyFake answers getProfiles as the AppView does: unknown actors are
// silently left out; handles starting with gen are made up on the fly.
func blueskyFake(t *testing.T, mode string) *fake {
	var page struct {
		Profiles []map[string]any `json:"profiles"`
	}
	if err := json.Unmarshal(testdata(t, "bluesky/profiles.json"), &page); err != nil {
		t.Fatal(err)
	}
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/xrpc/app.bsky.actor.getProfiles" {
			reply(w, http.StatusNotFound, []byte(`{"error":"MethodNotImplemented","message":"Method Not Implemented"}`))
			return
		}
		actors := r.URL.Query()["actors"]
		switch {
		case mode == "rate":
			reply(w, http.StatusTooManyRequests, testdata(t, "bluesky/rate_limited.json"),
				"RateLimit-Limit", "3000", "RateLimit-Remaining", "0", "RateLimit-Reset", "1767225600", "RateLimit-Policy", "3000;w=300")
			return
		case len(actors) > BlueskyBatch:
			reply(w, http.StatusBadRequest, testdata(t, "bluesky/invalid_request.json"))
			return
		}
		var out []map[string]any
		for _, a := range actors {
			for _, p := range page.Profiles {
				if strings.EqualFold(p["handle"].(string), a) || p["did"] == a {
					out = append(out, p)
				}
			}
			if n, ok := strings.CutPrefix(a, "gen"); ok {
				var followers int
				fmt.Sscan(strings.TrimSuffix(n, ".bsky.social"), &followers)
				out = append(out, map[string]any{"did": "did:plc:" + a, "handle": a, "followersCount": followers, "followsCount": 1, "postsCount": 2})
			}
		}
		body, _ := json.Marshal(map[string]any{"profiles": out})
		reply(w, http.StatusOK, body)
	})
}

func TestBluesky(t *testing.T) {
	tests := []struct {
		name         string
		mode         string
		accounts     []string
		wantReadings []Reading
		wantErrors   map[string]Reason
	}{
		{
			name:     "handles match case-insensitively, DIDs match, an omitted actor is not found",
			accounts: []string{"BSKY.app", "did:plc:z72i7hdynmk6r22z27h6tvur", "nobody.bsky.social"},
			wantReadings: []Reading{
				{"BSKY.app", "followers", 35250704}, {"BSKY.app", "following", 19}, {"BSKY.app", "posts", 870},
				{"did:plc:z72i7hdynmk6r22z27h6tvur", "followers", 35250704}, {"did:plc:z72i7hdynmk6r22z27h6tvur", "following", 19}, {"did:plc:z72i7hdynmk6r22z27h6tvur", "posts", 870},
			},
			wantErrors: map[string]Reason{"nobody.bsky.social": NotFound},
		},
		{
			name:       "429 RateLimitExceeded is rate limited",
			mode:       "rate",
			accounts:   []string{"bsky.app"},
			wantErrors: map[string]Reason{"bsky.app": RateLimited},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := blueskyFake(t, tt.mode)
			res, _ := collect(t, &config.Channel{Type: "bluesky", APIURL: f.URL}, tt.accounts)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v", got, tt.wantErrors)
			}
		})
	}
}

func TestBlueskyBatching(t *testing.T) {
	for _, n := range []int{1, 25, 26, 60} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := blueskyFake(t, "")
			var accounts []string
			for i := range n {
				accounts = append(accounts, fmt.Sprintf("gen%d.bsky.social", i))
			}
			res, _ := collect(t, &config.Channel{Type: "bluesky", APIURL: f.URL}, accounts)
			if want := (n + BlueskyBatch - 1) / BlueskyBatch; f.calls() != want {
				t.Errorf("%d actors took %d calls, want %d", n, f.calls(), want)
			}
			if len(res.Readings) != 3*n || len(res.Errors) != 0 {
				t.Errorf("got %d readings and %v", len(res.Readings), res.Errors)
			}
		})
	}
}
