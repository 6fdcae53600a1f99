package collectors

import (
	"reflect"
	"testing"

	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/fakeapi"
)

func TestHTTPJSON(t *testing.T) {
	api := newAPI(t)
	ch := func(tok string) *config.Channel {
		return &config.Channel{Type: "http_json", Metrics: map[string]string{
			"subscribers": "stats.member_count", "unsubscribed": "stats.unsubscribe_count", "name": "name", "missing": "stats.nope",
		}, Credentials: config.Credentials{BearerToken: config.Secret(tok)}}
	}
	list, html, gone := api.URL+"/json/lists/42", api.URL+"/json/lists/html", api.URL+"/json/lists/7"

	res, _ := collect(t, ch(fakeapi.JSONToken), []string{list, html, gone})
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
	api.Fail(fakeapi.HTTPJSON, "server")
	res, _ = collect(t, ch(fakeapi.JSONToken), []string{list})
	if got := reasons(res); got[list] != Server {
		t.Errorf("a 500 gave %v, want server", got)
	}
}
