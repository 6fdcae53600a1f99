package collectors

import (
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func youTubeChannel(url, key string) *config.Channel {
	return &config.Channel{Type: "youtube", APIURL: url, Credentials: config.NewCredentials("api_key", key)}
}

func TestYouTube(t *testing.T) {
	tests := []struct {
		name         string
		mode         string
		key          string
		accounts     []string
		wantReadings []Reading
		wantErrors   map[string]Reason
		wantHidden   []Hidden
		wantCalls    int
	}{
		{
			name:     "string counts are read, a hidden subscriber count is unknown, an unknown id is not found",
			key:      fakeapi.YouTubeKey,
			accounts: []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw", "UCHiddenSubs000000000000", "UCdoesNotExist0000000000"},
			wantReadings: []Reading{
				{Account: "UCHiddenSubs000000000000", Metric: "videos", Value: 42},
				{Account: "UCHiddenSubs000000000000", Metric: "views", Value: 120034},
				{Account: "UC_x5XG1OV2P6uZZ5FSM9Ttw", Metric: "subscribers", Value: 2510000},
				{Account: "UC_x5XG1OV2P6uZZ5FSM9Ttw", Metric: "videos", Value: 6612},
				{Account: "UC_x5XG1OV2P6uZZ5FSM9Ttw", Metric: "views", Value: 254851364},
			},
			wantErrors: map[string]Reason{"UCdoesNotExist0000000000": NotFound},
			wantHidden: []Hidden{{"UCHiddenSubs000000000000", "subscribers", HiddenByAccount}},
		},
		{
			name:     "a null or absent subscriberCount that is not hidden is a decode error, never 0",
			key:      fakeapi.YouTubeKey,
			accounts: []string{"UCNullSubs00000000000000", "UCNoSubsField00000000000"},
			wantReadings: []Reading{
				{Account: "UCNoSubsField00000000000", Metric: "videos", Value: 3}, {Account: "UCNoSubsField00000000000", Metric: "views", Value: 880},
				{Account: "UCNullSubs00000000000000", Metric: "videos", Value: 7}, {Account: "UCNullSubs00000000000000", Metric: "views", Value: 5100},
			},
			wantErrors: map[string]Reason{"UCNullSubs00000000000000/subscribers": Decode, "UCNoSubsField00000000000/subscribers": Decode},
		},
		{
			name:       "an HTML 200 is a decode error, not retried",
			mode:       "html",
			key:        fakeapi.YouTubeKey,
			accounts:   []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw"},
			wantErrors: map[string]Reason{"UC_x5XG1OV2P6uZZ5FSM9Ttw": Decode},
			wantCalls:  1,
		},
		{
			name:       "an answer without items makes every id not found",
			key:        fakeapi.YouTubeKey,
			accounts:   []string{"UCnope1", "UCnope2"},
			wantErrors: map[string]Reason{"UCnope1": NotFound, "UCnope2": NotFound},
		},
		{
			name:       "403 quotaExceeded is the quota, not auth",
			mode:       "quota",
			key:        fakeapi.YouTubeKey,
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
			key:        fakeapi.YouTubeKey,
			accounts:   []string{"UC_x5XG1OV2P6uZZ5FSM9Ttw"},
			wantErrors: map[string]Reason{"UC_x5XG1OV2P6uZZ5FSM9Ttw": Server},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api := newAPI(t)
			api.Fail(fakeapi.YouTube, tt.mode)
			var urls []string
			f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
				urls = append(urls, r.URL.String()+" "+r.Header.Get("User-Agent"))
				api.Config.Handler.ServeHTTP(w, r)
			})
			res, _ := collect(t, youTubeChannel(f.URL, tt.key), tt.accounts)
			if !reflect.DeepEqual(res.Readings, tt.wantReadings) {
				t.Errorf("readings:\n got %v\nwant %v", res.Readings, tt.wantReadings)
			}
			if got := reasons(res); !reflect.DeepEqual(got, mapOrEmpty(tt.wantErrors)) {
				t.Errorf("errors: got %v, want %v (%v)", got, tt.wantErrors, res.Errors)
			}
			if !reflect.DeepEqual(res.Hidden, tt.wantHidden) {
				t.Errorf("hidden: got %v, want %v", res.Hidden, tt.wantHidden)
			}
			if tt.wantCalls > 0 && api.Calls(fakeapi.YouTube) != tt.wantCalls {
				t.Errorf("%d calls, want %d", api.Calls(fakeapi.YouTube), tt.wantCalls)
			}
			for _, e := range res.Errors {
				if strings.Contains(e.Error(), tt.key) {
					t.Errorf("an error shows the API key: %v", e)
				}
			}
			for _, u := range urls {
				if strings.Contains(u, tt.key) {
					t.Errorf("the API key went into a URL: %s", u)
				}
				if !strings.Contains(u, " kpi-collector/") {
					t.Errorf("request without our User-Agent: %s", u)
				}
			}
		})
	}
}

// N channels take ceil(N/50) calls, and a missing id in a batch costs only itself.
func TestYouTubeBatching(t *testing.T) {
	for _, n := range []int{1, 50, 51, 120, 200} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			api := newAPI(t)
			var accounts []string
			for i := range n {
				accounts = append(accounts, fmt.Sprintf("UCgen%d", i+1))
			}
			accounts[n/2] = "UCmissing"
			res, codes := collect(t, youTubeChannel(api.URL, fakeapi.YouTubeKey), accounts)
			want := (n + YouTubeBatch - 1) / YouTubeBatch
			if api.Calls(fakeapi.YouTube) != want || codes["200"] != want {
				t.Errorf("%d channels took %d calls (%v counted), want %d", n, api.Calls(fakeapi.YouTube), codes, want)
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
