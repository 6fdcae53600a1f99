package collectors

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
)

func TestHTTPJSON(t *testing.T) {
	const token = "newsletter-token-4242"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			reply(w, http.StatusUnauthorized, testdata(t, "http_json/mailchimp_401.json"), "Content-Type", "application/problem+json")
			return
		}
		switch r.URL.Path {
		case "/3.0/lists/42":
			reply(w, http.StatusOK, testdata(t, "http_json/mailchimp_list.json"))
		case "/3.0/lists/html":
			reply(w, http.StatusOK, []byte("<html>maintenance</html>"), "Content-Type", "text/html")
		default:
			reply(w, http.StatusNotFound, []byte(`{"title":"Resource Not Found","status":404}`))
		}
	})
	ch := func(tok string) *config.Channel {
		return &config.Channel{Type: "http_json", Metrics: map[string]string{
			"subscribers": "stats.member_count", "unsubscribed": "stats.unsubscribe_count", "name": "name", "missing": "stats.nope",
		}, Credentials: config.Credentials{BearerToken: config.Secret(tok)}}
	}
	list, html, gone := f.URL+"/3.0/lists/42", f.URL+"/3.0/lists/html", f.URL+"/3.0/lists/7"

	res, _ := collect(t, ch(token), []string{list, html, gone})
	want := []Reading{{list, "subscribers", 1234}, {list, "unsubscribed", 56}}
	if !reflect.DeepEqual(res.Readings, want) {
		t.Errorf("readings:\n got %v\nwant %v", res.Readings, want)
	}
	wantErr := map[string]Reason{list + "/name": Decode, list + "/missing": Decode, html: Decode, gone: NotFound}
	if got := reasons(res); !reflect.DeepEqual(got, wantErr) {
		t.Errorf("errors:\n got %v\nwant %v", got, wantErr)
	}

	res, _ = collect(t, ch("wrong"), []string{list})
	if got := reasons(res); got[list] != Auth || len(res.Readings) != 0 {
		t.Errorf("a 401 gave %v and %d readings, want auth and none", got, len(res.Readings))
	}
}
