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

const testYouTubeKey = "AIzaSyTEST-youtube-key-0000"

// youTubeFake answers channels.list as the API does: string counts, unknown
// ids left out, no items key when none match, and the documented errors.
// Ids starting with UCgen are made up on the fly, with views = their number.
func youTubeFake(t *testing.T, mode string) *fake {
	var page struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(testdata(t, "youtube/channels.json"), &page); err != nil {
		t.Fatal(err)
	}
	known := map[string]map[string]any{}
	for _, it := range page.Items {
		known[it["id"].(string)] = it
	}
	return newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/youtube/v3/channels" {
			reply(w, http.StatusNotFound, []byte(`{"error":{"code":404,"message":"Not Found"}}`))
			return
		}
		if r.Header.Get("X-Goog-Api-Key") != testYouTubeKey && r.URL.Query().Get("key") != testYouTubeKey {
			reply(w, http.StatusBadRequest, testdata(t, "youtube/key_invalid.json"))
			return
		}
		switch mode {
		case "quota":
			reply(w, http.StatusForbidden, testdata(t, "youtube/quota_exceeded.json"))
			return
		case "server":
			reply(w, http.StatusServiceUnavailable, []byte(`{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`))
			return
		}
		var ids []string
		for _, v := range r.URL.Query()["id"] {
			ids = append(ids, strings.Split(v, ",")...)
		}
		if len(ids) > YouTubeBatch {
			reply(w, http.StatusBadRequest, []byte(`{"error":{"code":400,"message":"Too many ids"}}`))
			return
		}
		var items []map[string]any
		for _, id := range ids {
			if it, ok := known[id]; ok {
				items = append(items, it)
			} else if n, ok := strings.CutPrefix(id, "UCgen"); ok {
				items = append(items, map[string]any{"kind": "youtube#channel", "id": id,
					"statistics": map[string]any{"viewCount": n, "subscriberCount": "10", "hiddenSubscriberCount": false, "videoCount": "1"}})
			}
		}
		if len(items) == 0 {
			reply(w, http.StatusOK, testdata(t, "youtube/no_items.json"))
			return
		}
		body, _ := json.Marshal(map[string]any{"kind": "youtube#channelListResponse", "pageInfo": map[string]any{"totalResults": len(items), "resultsPerPage": len(items)}, "items": items})
		reply(w, http.StatusOK, body)
	})
}

func youTubeChannel(url, key string) *config.Channel {
	return &config.Channel{Type: "youtube", APIURL: url, Credentials: config.Credentials{APIKey: config.Secret(key)}}
}

func TestYouTube(t *testing.T) {
	tests := []struct {
		name         string
		mode         string
		key          string
		accounts     []string
		wantReadings []Reading
		wantErrors   map[string]Reason
	}{
		{
			name:     "string counts are read, a hidden subscriber count is unknown, an unknown id is not found",
			key:      testYouTubeKey,
			accounts: []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw", "UCHiddenSubs000000000000", "UCdoesNotExist0000000000"},
			wantReadings: []Reading{
				{"UCHiddenSubs000000000000", "videos", 42},
				{"UCHiddenSubs000000000000", "views", 120034},
				{"UC_x5XG1OV2P6uZZ5FSM9Ttw", "subscribers", 2510000},
				{"UC_x5XG1OV2P6uZZ5FSM9Ttw", "videos", 6612},
				{"UC_x5XG1OV2P6uZZ5FSM9Ttw", "views", 254851364},
			},
			wantErrors: map[string]Reason{"UCdoesNotExist0000000000": NotFound},
		},
		{
			name:       "an answer without items makes every id not found",
			key:        testYouTubeKey,
			accounts:   []string{"UCnope1", "UCnope2"},
			wantErrors: map[string]Reason{"UCnope1": NotFound, "UCnope2": NotFound},
		},
		{
			name:       "403 quotaExceeded is the quota, not auth",
			mode:       "quota",
			key:        testYouTubeKey,
			accounts:   []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw"},
			wantErrors: map[string]Reason{"UC_x5XG1OV2P6uZZ5FSM9Ttw": Quota},
		},
		{
			name:       "400 API_KEY_INVALID is auth",
			key:        "wrong-key",
			accounts:   []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw"},
			wantErrors: map[string]Reason{"UC_x5XG1OV2P6uZZ5FSM9Ttw": Auth},
		},
		{
			name:       "503 is a server error",
			mode:       "server",
			key:        testYouTubeKey,
			accounts:   []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw"},
			wantErrors: map[string]Reason{"UC_x5XG1OV2P6uZZ5FSM9Ttw": Server},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := youTubeFake(t, tt.mode)
			res, _ := collect(t, youTubeChannel(f.URL, tt.key), tt.accounts)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Error(), tt.key) {
					t.Errorf("an error shows the API key: %v", e)
				}
			}
			for _, r := range f.requests {
				if strings.Contains(r.URL.String(), tt.key) {
					t.Errorf("the API key went into a URL: %s", r.URL)
				}
				if !strings.HasPrefix(r.Header.Get("User-Agent"), "kpi-collector/") {
					t.Errorf("User-Agent = %q", r.Header.Get("User-Agent"))
				}
			}
		})
	}
}

func mapOrEmpty(m map[string]Reason) map[string]Reason {
	if m == nil {
		return map[string]Reason{}
	}
	return m
}

// N channels take ceil(N/50) calls, and a missing id in a batch costs only itself.
func TestYouTubeBatching(t *testing.T) {
	for _, n := range []int{1, 50, 51, 120, 200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := youTubeFake(t, "")
			var accounts []string
			for i := range n {
				accounts = append(accounts, fmt.Sprintf("UCgen%d", i+1))
			}
			accounts[n/2] = "UCmissing"
			res, codes := collect(t, youTubeChannel(f.URL, testYouTubeKey), accounts)
			want := (n + YouTubeBatch - 1) / YouTubeBatch
			if f.calls() != want || codes["200"] != want {
				t.Errorf("%d channels took %d calls (%v counted), want %d", n, f.calls(), codes, want)
			}
			if len(res.Readings) != 3*(n-1) {
				t.Errorf("got %d readings, want %d", len(res.Readings), 3*(n-1))
			}
			if got := reasons(res); len(got) != 1 || got["UCmissing"] != NotFound {
				t.Errorf("errors = %v, want only UCmissing not found", got)
			}
		})
	}
}
