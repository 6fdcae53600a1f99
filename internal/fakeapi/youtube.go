package fakeapi

import (
	"net/http"
	"strconv"
	"strings"
)

// YouTubeKey is the API key the fake accepts; any other gets
// API_KEY_INVALID.
const YouTubeKey = "AIzaSyFAKE-youtube-key-0000000000"

// YouTube is channels.list.
const YouTube API = "youtube"

func init() {
	register(Fake{
		Type: "youtube",
		Routes: []Route{{API: YouTube, Serve: (*Server).youtube,
			Match: func(r *http.Request) bool { return r.URL.Path == "/youtube/v3/channels" }}},
		Channels: map[string]string{"youtube": `type: youtube
api_url: {{URL}}
credentials: {api_key: ` + YouTubeKey + `}
accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw, UCHiddenSubs000000000000]`},
		KPIs:  map[string]string{"yt": `{channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: subscribers, milestones: [{due: 2026-12-31, target: 3000000}]}`},
		Calls: map[API]int{YouTube: 1},
		Fail:  map[API]string{YouTube: "quota"},
	})
}

// youtube answers channels.list: string counts, unknown ids left out, no
// items key when none match. UCgen<N> channels have N views, 10 subscribers
// and 1 video.
func (s *Server) youtube(w http.ResponseWriter, r *http.Request, mode string) {
	if r.Header.Get("X-Goog-Api-Key") != YouTubeKey && r.URL.Query().Get("key") != YouTubeKey {
		reply(w, http.StatusBadRequest, File("youtube/key_invalid.json"))
		return
	}
	switch mode {
	case "quota":
		reply(w, http.StatusForbidden, File("youtube/quota_exceeded.json"))
		return
	case "html":
		reply(w, http.StatusOK, []byte("<html><body>Service maintenance</body></html>"), "Content-Type", "text/html")
		return
	case "server":
		reply(w, http.StatusServiceUnavailable, []byte(`{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`))
		return
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	recorded("youtube/channels.json", &page)
	var ids []string
	for _, v := range r.URL.Query()["id"] {
		ids = append(ids, strings.Split(v, ",")...)
	}
	if len(ids) > 50 {
		reply(w, http.StatusBadRequest, []byte(`{"error":{"code":400,"message":"The request specifies an invalid filter parameter.","errors":[{"reason":"invalidFilters"}]}}`))
		return
	}
	var items []map[string]any
	for _, id := range ids {
		for _, it := range page.Items {
			if it["id"] == id {
				items = append(items, it)
			}
		}
		if n, ok := generated(id, "UCgen"); ok {
			items = append(items, map[string]any{"kind": "youtube#channel", "id": id, "statistics": map[string]any{
				"viewCount": strconv.Itoa(n), "subscriberCount": "10", "hiddenSubscriberCount": false, "videoCount": "1"}})
		}
	}
	if len(items) == 0 {
		reply(w, http.StatusOK, File("youtube/no_items.json"))
		return
	}
	replyJSON(w, map[string]any{"kind": "youtube#channelListResponse", "etag": "ZmFrZQ",
		"pageInfo": map[string]any{"totalResults": len(items), "resultsPerPage": len(items)}, "items": items})
}
