package fakeapi

import (
	"maps"
	"net/http"
	"strconv"
	"strings"
)

// YouTubeKey is the API key the fake accepts; any other gets
// API_KEY_INVALID.
const YouTubeKey = "AIzaSyFAKE-youtube-key-0000000000"

// The YouTube endpoints faked.
const (
	YouTube              API = "youtube"                // channels.list
	YouTubePlaylistItems API = "youtube_playlist_items" // playlistItems.list
	YouTubeVideos        API = "youtube_videos"         // videos.list
)

func init() {
	register(Fake{
		Type: "youtube",
		Routes: []Route{
			{API: YouTube, Serve: (*Server).youtube, Match: func(r *http.Request) bool { return r.URL.Path == "/youtube/v3/channels" }},
			{API: YouTubePlaylistItems, Serve: (*Server).youtubePlaylistItems, Match: func(r *http.Request) bool { return r.URL.Path == "/youtube/v3/playlistItems" }},
			{API: YouTubeVideos, Serve: (*Server).youtubeVideos, Match: func(r *http.Request) bool { return r.URL.Path == "/youtube/v3/videos" }},
		},
		Channels: map[string]string{"youtube": `type: youtube
api_url: {{URL}}
credentials: {api_key: ` + YouTubeKey + `}
accounts: [UC_x5XG1OV2P6uZZ5FSM9Ttw, UCHiddenSubs000000000000]
rivals: [UCgen3000000]`},
		KPIs: map[string]string{
			"yt":            `{channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: subscribers, milestones: [{due: 2026-12-31, target: 3000000}]}`,
			"yt_engagement": `{channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: engagement_per_post, milestones: [{due: 2026-12-31, target: 6000}]}`,
			"yt_lead":       `{channel: youtube, account: UC_x5XG1OV2P6uZZ5FSM9Ttw, metric: views, versus: rivals, compare: lead, milestones: [{due: 2026-12-31, target: 300000000}]}`,
		},
		// The rival in the same channels.list call, with the uploads
		// playlists; two playlist pages and one videos.list for the
		// recorded channel, one page (no uploads) for each other.
		Calls:     map[API]int{YouTube: 1, YouTubePlaylistItems: 4, YouTubeVideos: 1},
		Fail:      map[API]string{YouTube: "quota"},
		FailPosts: map[API]string{YouTubeVideos: "quota"},
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
	withUploads := strings.Contains(strings.Join(r.URL.Query()["part"], ","), "contentDetails")
	for _, id := range ids {
		for _, it := range page.Items {
			if it["id"] == id {
				if !withUploads { // only the parts asked for
					it = maps.Clone(it)
					delete(it, "contentDetails")
				}
				items = append(items, it)
			}
		}
		if n, ok := generated(id, "UCgrow"); ok {
			items = append(items, map[string]any{"kind": "youtube#channel", "id": id, "statistics": map[string]any{
				"viewCount": "0", "subscriberCount": strconv.Itoa(s.growing(YouTube, id, "subscribers", n)), "hiddenSubscriberCount": false, "videoCount": "0"}})
		}
		if n, ok := generated(id, "UCgen"); ok {
			item := map[string]any{"kind": "youtube#channel", "id": id, "statistics": map[string]any{
				"viewCount": strconv.Itoa(n), "subscriberCount": "10", "hiddenSubscriberCount": false, "videoCount": "1"}}
			if withUploads {
				item["contentDetails"] = map[string]any{"relatedPlaylists": map[string]string{"likes": "", "uploads": "UU" + strings.TrimPrefix(id, "UC")}}
			}
			items = append(items, item)
		}
	}
	if len(items) == 0 {
		reply(w, http.StatusOK, File("youtube/no_items.json"))
		return
	}
	replyJSON(w, map[string]any{"kind": "youtube#channelListResponse", "etag": "ZmFrZQ",
		"pageInfo": map[string]any{"totalResults": len(items), "resultsPerPage": len(items)}, "items": items})
}

// youtubePlaylistItems answers playlistItems.list (part=contentDetails,
// maxResults 50) for the recorded channel's uploads: two recorded pages,
// newest first, the second reaching back past August; other uploads
// playlists are empty, unknown ones playlistNotFound. Modes: quota.
func (s *Server) youtubePlaylistItems(w http.ResponseWriter, r *http.Request, mode string) {
	q := r.URL.Query()
	switch {
	case r.Header.Get("X-Goog-Api-Key") != YouTubeKey:
		reply(w, http.StatusBadRequest, File("youtube/key_invalid.json"))
	case mode == "quota":
		reply(w, http.StatusForbidden, File("youtube/quota_exceeded.json"))
	case strings.Join(q["part"], ",") != "contentDetails" || q.Get("maxResults") != "50":
		reply(w, http.StatusBadRequest, []byte(`{"error":{"code":400,"message":"part and maxResults are not what the collector sends","errors":[{"reason":"invalidParameter"}]}}`))
	case q.Get("playlistId") == "UU_x5XG1OV2P6uZZ5FSM9Ttw" && q.Get("pageToken") == "":
		reply(w, http.StatusOK, File("youtube/playlist_items_p1.json"))
	case q.Get("playlistId") == "UU_x5XG1OV2P6uZZ5FSM9Ttw" && q.Get("pageToken") == "CAMQAA":
		reply(w, http.StatusOK, File("youtube/playlist_items_p2.json"))
	case strings.HasPrefix(q.Get("playlistId"), "UU"):
		replyJSON(w, map[string]any{"kind": "youtube#playlistItemListResponse", "etag": "ZW1wdHk", "pageInfo": map[string]int{"totalResults": 0, "resultsPerPage": 50}, "items": []any{}})
	default:
		reply(w, http.StatusNotFound, File("youtube/playlist_not_found.json"))
	}
}

// youtubeVideos answers videos.list (part=statistics, at most 50 ids) from
// the recorded statistics, strings as YouTube sends them: one video hides
// its likes (no likeCount), one has comments off (no commentCount); unknown
// ids are left out. Modes: quota.
func (s *Server) youtubeVideos(w http.ResponseWriter, r *http.Request, mode string) {
	q := r.URL.Query()
	var ids []string
	for _, v := range q["id"] {
		ids = append(ids, strings.Split(v, ",")...)
	}
	switch {
	case r.Header.Get("X-Goog-Api-Key") != YouTubeKey:
		reply(w, http.StatusBadRequest, File("youtube/key_invalid.json"))
		return
	case mode == "quota":
		reply(w, http.StatusForbidden, File("youtube/quota_exceeded.json"))
		return
	case strings.Join(q["part"], ",") != "statistics" || len(ids) > 50:
		reply(w, http.StatusBadRequest, []byte(`{"error":{"code":400,"message":"The request specifies an invalid filter parameter.","errors":[{"reason":"invalidFilters"}]}}`))
		return
	}
	var page struct {
		Items []map[string]any `json:"items"`
	}
	recorded("youtube/videos.json", &page)
	var items []map[string]any
	for _, id := range ids {
		for _, it := range page.Items {
			if it["id"] == id {
				items = append(items, it)
			}
		}
	}
	replyJSON(w, map[string]any{"kind": "youtube#videoListResponse", "etag": "dmlkZW9z", "items": items,
		"pageInfo": map[string]int{"totalResults": len(items), "resultsPerPage": len(items)}})
}
