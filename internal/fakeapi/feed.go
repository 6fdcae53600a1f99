package fakeapi

import (
	"net/http"
	"strings"
	"time"
)

// Feed is every feed under /feed/.
const Feed API = "feed"

func init() {
	register(Fake{
		Type: "feed",
		Routes: []Route{{API: Feed, Serve: (*Server).feed,
			Match: func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/feed/") }}},
		Channels: map[string]string{"blog": `type: feed
accounts: [{{URL}}/feed/rss.xml]`},
		KPIs:  map[string]string{"blog": `{channel: blog, metric: posts, count: growth, milestones: [{due: 2026-12-31, target: 10}]}`},
		Calls: map[API]int{Feed: 1},
		Fail:  map[API]string{Feed: "server"},
	})
}

// feed serves /feed/rss.xml and /feed/atom.xml as recorded, /feed/empty.xml
// with no items, /feed/unclosed.xml ill-formed (a blank line before the
// declaration, an element never closed around its items), /feed/latin1.xml in
// ISO-8859-1 with the charset only in the Content-Type header,
// /feed/broken.xml as HTML, /feed/slow.xml after 5 seconds, and 404 for the
// rest.
func (s *Server) feed(w http.ResponseWriter, r *http.Request, mode string) {
	if mode == "server" {
		reply(w, http.StatusBadGateway, []byte("<h1>502 Bad Gateway</h1>"), "Content-Type", "text/html")
		return
	}
	switch r.URL.Path {
	case "/feed/rss.xml":
		reply(w, http.StatusOK, File("feed/rss.xml"), "Content-Type", "application/rss+xml")
	case "/feed/atom.xml":
		reply(w, http.StatusOK, File("feed/atom.xml"), "Content-Type", "application/atom+xml")
	case "/feed/empty.xml", "/feed/unclosed.xml":
		reply(w, http.StatusOK, File(r.URL.Path[1:]), "Content-Type", "application/rss+xml")
	case "/feed/latin1.xml":
		reply(w, http.StatusOK, File("feed/latin1.xml"), "Content-Type", "application/rss+xml; charset=ISO-8859-1")
	case "/feed/weekly.xml":
		s.weeklyFeed(w)
	case "/feed/broken.xml":
		reply(w, http.StatusOK, []byte("<html><body>Not a feed</body></html>"), "Content-Type", "text/html")
	case "/feed/slow.xml":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		case <-s.hang:
		}
	default:
		reply(w, http.StatusNotFound, []byte("<h1>Not Found</h1>"), "Content-Type", "text/html")
	}
}
