package fakeapi

import (
	"net/http"
	"strings"
)

// bluesky answers getProfiles: unknown actors are silently left out; gen<N>
// handles have N followers, 1 follow and 2 posts.
func (s *Server) bluesky(w http.ResponseWriter, r *http.Request, mode string) {
	actors := r.URL.Query()["actors"]
	switch {
	case mode == "rate":
		reply(w, http.StatusTooManyRequests, File("bluesky/rate_limited.json"),
			"RateLimit-Limit", "3000", "RateLimit-Remaining", "0", "RateLimit-Reset", "1767225600", "RateLimit-Policy", "3000;w=300")
		return
	case mode == "invalid" || len(actors) > 25:
		reply(w, http.StatusBadRequest, File("bluesky/invalid_request.json"))
		return
	}
	var page struct {
		Profiles []map[string]any `json:"profiles"`
	}
	recorded("bluesky/profiles.json", &page)
	var out []map[string]any
	for _, a := range actors {
		for _, p := range page.Profiles {
			if strings.EqualFold(p["handle"].(string), a) || p["did"] == a {
				out = append(out, p)
			}
		}
		if n, ok := generated(a, "gen"); ok {
			out = append(out, map[string]any{"did": "did:plc:" + a, "handle": a, "followersCount": n, "followsCount": 1, "postsCount": 2})
		}
	}
	replyJSON(w, map[string]any{"profiles": out})
}
