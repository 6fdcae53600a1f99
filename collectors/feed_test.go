package collectors

import (
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

func TestFeed(t *testing.T) {
	api := newAPI(t)
	tests := []struct {
		name      string
		path      string
		timeout   time.Duration
		wantItems []Item
		wantError Reason
	}{
		{
			name: "RSS: pubDate in UTC, an undated item is kept without a date", path: "/feed/rss.xml",
			wantItems: []Item{
				{ID: "https://blog.acme.example/?p=2", Published: time.Date(2026, 2, 2, 8, 30, 0, 0, time.UTC)},
				{ID: "https://blog.acme.example/?p=3", Published: time.Date(2026, 2, 27, 17, 0, 0, 0, time.UTC)},
				{ID: "https://blog.acme.example/undated"},
			},
		},
		{
			name: "Atom: published, else updated", path: "/feed/atom.xml",
			wantItems: []Item{
				{ID: "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a", Published: time.Date(2026, 3, 2, 7, 0, 0, 0, time.UTC)},
				{ID: "urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6b", Published: time.Date(2026, 1, 15, 12, 0, 0, 0, time.UTC)},
			},
		},
		{name: "a well-formed feed without items is a true 0", path: "/feed/empty.xml"},
		{
			name: "the charset of the Content-Type header, where the document declares none", path: "/feed/latin1.xml",
			wantItems: []Item{
				{ID: "https://cafe.acme.example/creme", Published: time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)},
				{ID: "https://cafe.acme.example/ete", Published: time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)},
			},
		},
		{name: "items that cannot be read are a decode error, not 0 posts", path: "/feed/unclosed.xml", wantError: Decode},
		{name: "404 is not found", path: "/feed/gone.xml", wantError: NotFound},
		{name: "HTML is a decode error", path: "/feed/broken.xml", wantError: Decode},
		{name: "a feed that hangs times out", path: "/feed/slow.xml", timeout: 200 * time.Millisecond, wantError: Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			account := api.URL + tt.path
			res, _ := collect(t, &config.Channel{Type: "feed", Timeout: tt.timeout}, []string{account})
			for i := range tt.wantItems {
				tt.wantItems[i].Account = account
			}
			sort.Slice(res.Items, func(i, j int) bool { return res.Items[i].ID < res.Items[j].ID })
			if len(res.Items) > 0 || len(tt.wantItems) > 0 {
				if !reflect.DeepEqual(res.Items, tt.wantItems) {
					t.Errorf("items:\n got %v\nwant %v", res.Items, tt.wantItems)
				}
			}
			if tt.wantError == "" {
				if len(res.Errors) > 0 || len(res.ItemAccounts) != 1 {
					t.Errorf("errors %v, accounts read %v", res.Errors, res.ItemAccounts)
				}
				return
			}
			if got := reasons(res)[account]; got != tt.wantError || len(res.ItemAccounts) != 0 {
				t.Errorf("reason = %q (%v), want %q; accounts read %v", got, res.Errors, tt.wantError, res.ItemAccounts)
			}
		})
	}
}
