package collectors

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

// httpJSONMetrics is the settings of an http_json channel with metrics.
func httpJSONMetrics(metrics map[string]string) *httpJSONSettings {
	return &httpJSONSettings{UserMetrics: config.UserMetrics{Metrics: metrics}}
}

func TestHTTPJSON(t *testing.T) {
	api := newAPI(t)
	ch := func(tok string) *config.Channel {
		return &config.Channel{Type: "http_json", Settings: httpJSONMetrics(map[string]string{
			"subscribers": "stats.member_count", "unsubscribed": "stats.unsubscribe_count", "name": "name", "missing": "stats.nope",
		}), Credentials: config.NewCredentials("bearer_token", tok)}
	}
	list, html, gone := api.URL+"/json/lists/42", api.URL+"/json/lists/html", api.URL+"/json/lists/7"

	res, _ := collect(t, ch(fakeapi.JSONToken), []string{list, html, gone})
	want := []Reading{{Account: list, Metric: "subscribers", Value: 1234}, {Account: list, Metric: "unsubscribed", Value: 56}}
	if !reflect.DeepEqual(res.Readings, want) {
		t.Errorf("readings:\n got %v\nwant %v", res.Readings, want)
	}
	wantErr := map[string]Reason{list + "/name": Decode, list + "/missing": Decode, html: Decode, gone: NotFound}
	if got := reasons(res); !reflect.DeepEqual(got, wantErr) {
		t.Errorf("errors:\n got %v\nwant %v", got, wantErr)
	}

	// Counts written as strings, as YouTube, GA4 and Matomo write them.
	strs := api.URL + "/json/strings"
	res, _ = collect(t, &config.Channel{Type: "http_json", Settings: httpJSONMetrics(map[string]string{
		"subscribers": "items.0.statistics.subscriberCount", "views": "items.0.statistics.viewCount",
		"rounded": "display.subscribers", "percent": "display.growth",
	}), Credentials: config.NewCredentials("bearer_token", fakeapi.JSONToken)}, []string{strs})
	if want := []Reading{{Account: strs, Metric: "subscribers", Value: 1927873}, {Account: strs, Metric: "views", Value: 3074518203}}; !reflect.DeepEqual(res.Readings, want) {
		t.Errorf("string counts:\n got %v\nwant %v", res.Readings, want)
	}
	if got, want := reasons(res), map[string]Reason{strs + "/rounded": Decode, strs + "/percent": Decode}; !reflect.DeepEqual(got, want) {
		t.Errorf("\"1.93M\" and \"45%%\": got %v, want %v", got, want)
	}
	for _, e := range res.Errors {
		if !strings.Contains(e.Error(), "not a plain decimal number") {
			t.Errorf("the message does not say why: %v", e)
		}
	}

	res, _ = collect(t, ch("wrong"), []string{list})
	if got := reasons(res); got[list] != Auth || len(res.Readings) != 0 {
		t.Errorf("a 401 gave %v and %d readings, want auth and none", got, len(res.Readings))
	}
	api.Fail(fakeapi.HTTPJSON, "server")
	res, _ = collect(t, ch(fakeapi.JSONToken), []string{list})
	if got := reasons(res); got[list] != Server {
		t.Errorf("a 500 gave %v, want server", got)
	}
}

// A key the API wants in the URL goes in credentials.query: sent, never in
// the account, and scrubbed from errors.
func TestHTTPJSONQueryCredential(t *testing.T) {
	const key = "query-key-SECRET-77"
	var got string
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query().Get("api_key")
		w.WriteHeader(http.StatusInternalServerError)
	})
	ch := &config.Channel{Type: "http_json", Settings: httpJSONMetrics(map[string]string{"n": "n"}),
		Credentials: func() config.Credentials {
			c := config.NewCredentials()
			c.Query = map[string]config.Secret{"api_key": key}
			return c
		}()}
	res, _ := collect(t, ch, []string{f.URL + "/stats?list=1"})
	if got != key {
		t.Errorf("the API got api_key=%q", got)
	}
	if len(res.Errors) != 1 || strings.Contains(res.Errors[0].Error(), key) {
		t.Errorf("errors %v: want one, without the key", res.Errors)
	}
	if err := checkHTTPURL(f.URL + "/stats?api_key=" + key); err == nil {
		t.Error("an account URL with a key in it must be refused")
	}
}
