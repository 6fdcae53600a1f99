package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kpi-collector/kpi-collector/config"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

func init() {
	register("facebook", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     append([]string{"followers", "likes"}, facebookEngagement...),
			Credentials: []string{"access_token"},
			Options:     []string{"concurrency"},
			Settings: &graphSettings{
				Posts: config.Posts{PostsWindow: 30},
				Pages: config.Pages{MaxPages: 20}, // 25 posts a page
			},
			LevelMetrics:       facebookEngagement,
			MaxPostsWindow:     365,
			DefaultSchedule:    "@every 6h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2, // usage is counted per hour; no need to hurry
			Batch:              GraphBatch,
		},
		Ratios: engagementRatios,
		New:    newFacebook,
	})
	register("instagram", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     append([]string{"followers", "following", "posts"}, instagramEngagement...),
			Credentials: []string{"access_token"},
			Options:     []string{"concurrency"},
			Settings: &graphSettings{
				Posts: config.Posts{PostsWindow: 30},
				Pages: config.Pages{MaxPages: 20}, // 25 media a page
			},
			LevelMetrics:       instagramEngagement,
			MaxPostsWindow:     365,
			DefaultSchedule:    "@every 6h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2,
			Batch:              GraphBatch,
		},
		Ratios: engagementRatios,
		New:    newInstagram,
	})
}

// facebookEngagement: a Page's posts give reactions (as likes), comments
// (as replies) and shares; instagramEngagement: IG media give likes (hidden
// where the owner hides them) and comments, no shares.
var (
	facebookEngagement  = engagementMetrics(true, false)
	instagramEngagement = engagementMetrics(false, false)
)

// graphSettings are a facebook or instagram channel's own keys: version is
// the Graph API version (DefaultGraphVersion where none is given).
type graphSettings struct {
	config.APIVersion `yaml:",inline"`
	config.Posts      `yaml:",inline"`
	config.Pages      `yaml:",inline"`
}

// GraphBatch is how many ids one Graph API ?ids= call takes.
const GraphBatch = 50

// DefaultGraphVersion is the Graph API version asked for unless the channel
// sets `version:`.
const DefaultGraphVersion = "v26.0"

// graph reads Page (facebook) or IG user (instagram) fields from the Meta
// Graph API, many ids a call.
type graph struct {
	env      Env
	settings *graphSettings
	base     string
	version  string
	fields   map[string]string // Graph field -> metric
	header   http.Header
	posts    graphPosts // how the type lists its posts
}

func newFacebook(env Env) (Collector, error) {
	g := newGraph(env, map[string]string{"followers_count": "followers", "fan_count": "likes"})
	g.posts = facebookPosts
	return g, nil
}

func newInstagram(env Env) (Collector, error) {
	g := newGraph(env, map[string]string{"followers_count": "followers", "follows_count": "following", "media_count": "posts"})
	g.posts = instagramPosts
	return g, nil
}

func newGraph(env Env, fields map[string]string) *graph {
	settings := settingsOf[graphSettings](env)
	g := &graph{env: env, settings: settings, base: env.Channel.APIURL, version: settings.Version, fields: fields, header: http.Header{}}
	if g.base == "" {
		g.base = "https://graph.facebook.com"
	}
	if g.version == "" {
		g.version = DefaultGraphVersion
	}
	// The token goes in a header, never in a URL that could be logged.
	g.header.Set("Authorization", "Bearer "+env.Channel.Credentials.Get("access_token").Reveal())
	return g
}

// graphError is the body of every Graph API failure.
type graphError struct {
	Error struct {
		Message     string `json:"message"`
		Type        string `json:"type"`
		Code        int    `json:"code"`
		Subcode     int    `json:"error_subcode"`
		IsTransient bool   `json:"is_transient"`
	} `json:"error"`
}

// Collect reads every account; see Collector.
func (g *graph) Collect(ctx context.Context, accounts []string) Result {
	names := make([]string, 0, len(g.fields))
	for f := range g.fields {
		names = append(names, f)
	}
	slices.Sort(names)
	return EachBatch(ctx, accounts, GraphBatch, g.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		g.collectBatch(ctx, batch, names, &res)
		return res
	})
}

// collectBatch asks for a batch; when the API names ids that do not exist
// (#803), it asks again without them, and they alone are not found.
func (g *graph) collectBatch(ctx context.Context, batch, fields []string, res *Result) {
	for len(batch) > 0 {
		q := url.Values{"ids": {strings.Join(batch, ",")}, "fields": {strings.Join(fields, ",")}}
		var body map[string]map[string]json.RawMessage
		err := GetJSON(ctx, g.env.Client, joinURL(g.base, "/"+g.version+"/")+"?"+q.Encode(), g.header, &body, classifyGraph)
		g.explainPermission(err)
		if missing := missingAliases(err); len(missing) > 0 {
			var rest []string
			for _, id := range batch {
				if slices.Contains(missing, id) {
					res.fail(Fail(NotFound, errors.New("the Graph API says this id does not exist (#803)")), id)
				} else {
					rest = append(rest, id)
				}
			}
			if len(rest) < len(batch) {
				batch = rest
				continue
			}
		}
		if err != nil {
			res.fail(err, batch...)
			return
		}
		for _, id := range batch {
			obj, ok := body[id]
			if !ok {
				res.fail(Fail(NotFound, errors.New("the Graph API did not return this id")), id)
				continue
			}
			for _, field := range fields {
				raw, ok := obj[field]
				if !ok || string(raw) == "null" {
					continue // e.g. fan_count on a New Pages Experience Page: unknown, not 0
				}
				var v float64
				if err := json.Unmarshal(raw, &v); err != nil {
					e := Fail(Decode, fmt.Errorf("%s is %s, not a number", field, raw), id)
					e.Metric = g.fields[field]
					res.Errors = append(res.Errors, e)
					continue
				}
				res.add(id, g.fields[field], v)
			}
			if g.env.Channel.Engagement {
				var followers *int64
				if n, ok, err := countOf(obj["followers_count"]); err == nil && ok {
					followers = &n
				}
				if posts, err := g.ownPosts(ctx, id); err != nil {
					res.fail(err, id)
				} else {
					res.addEngagement(id, posts, followers, g.posts.counts)
				}
			}
		}
		return
	}
}

// missingAliases reads the ids out of "(#803) Some of the aliases you
// requested do not exist: a,b".
func missingAliases(err error) []string {
	var se *StatusError
	if !errors.As(err, &se) {
		return nil
	}
	var ge graphError
	if json.Unmarshal(se.Body, &ge) != nil || ge.Error.Code != 803 {
		return nil
	}
	_, list, ok := strings.Cut(ge.Error.Message, "do not exist: ")
	if !ok {
		return nil
	}
	var out []string
	for _, id := range strings.Split(list, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// graphPermissions is what each type's token needs, for the message of a
// permission error.
var graphPermissions = map[string]string{
	"facebook":  "the pages_read_engagement permission, and the Page Public Content Access feature (with an app token or app secret proof) for Pages its user does not manage",
	"instagram": "the instagram_basic and pages_read_engagement permissions",
}

// explainPermission says, in an auth error for a missing permission, which
// permissions the channel's token needs.
func (g *graph) explainPermission(err error) {
	var e *Error
	var se *StatusError
	if !errors.As(err, &e) || e.Reason != Auth || !errors.As(err, &se) || !isGraphPermission(se) {
		return
	}
	e.Err = fmt.Errorf("the access token lacks a permission: a %s token needs %s: %w", g.env.Channel.Type, graphPermissions[g.env.Channel.Type], e.Err)
}

// isGraphPermission tells code 100 for a missing permission, feature or app
// secret proof from code 100 for an id that does not exist: Meta uses the
// same code for both and only the message differs.
func isGraphPermission(se *StatusError) bool {
	var ge graphError
	if json.Unmarshal(se.Body, &ge) != nil || ge.Error.Code != 100 || ge.Error.Subcode == 33 {
		return false
	}
	m := strings.ToLower(ge.Error.Message)
	for _, word := range []string{"permission", "public content access", "secret proof", "app token", "reviewable feature"} {
		if strings.Contains(m, word) {
			return true
		}
	}
	return false
}

// classifyGraph goes by error.code, not the HTTP status, which Meta varies,
// and for code 100 by the message too (see isGraphPermission).
func classifyGraph(se *StatusError) Reason {
	var ge graphError
	if json.Unmarshal(se.Body, &ge) != nil || ge.Error.Code == 0 {
		return ReasonForStatus(se.Code)
	}
	switch c := ge.Error.Code; {
	case c == 4 || c == 17 || c == 32 || c == 613 || c == 80001 || c == 80002:
		return RateLimited
	case c == 190 || c == 102 || c == 10 || (c >= 200 && c < 300) || isGraphPermission(se):
		return Auth
	case c == 803 || (c == 100 && ge.Error.Subcode == 33):
		return NotFound
	case c == 12 || c == 2635:
		return Version
	case c == 1 || c == 2 || ge.Error.IsTransient:
		return Server
	}
	return ReasonForStatus(se.Code)
}

// graphPosts is how a Graph type lists an account's posts: the edge, the
// fields asked (summaries of reactions and comments with no items), and
// how an item reads.
type graphPosts struct {
	edge, fields string
	counts       engagementCounts
	read         func(json.RawMessage) (OwnPost, error)
}

var facebookPosts = graphPosts{
	edge:   "posts",
	fields: "id,created_time,permalink_url,shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)",
	counts: engagementCounts{shares: true},
	read: func(raw json.RawMessage) (OwnPost, error) {
		var p struct {
			Created string `json:"created_time"`
			Shares  *struct {
				Count *int64 `json:"count"`
			} `json:"shares"`
			Reactions struct {
				Summary struct {
					Total *int64 `json:"total_count"`
				} `json:"summary"`
			} `json:"reactions"`
			Comments struct {
				Summary struct {
					Total *int64 `json:"total_count"`
				} `json:"summary"`
			} `json:"comments"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			return OwnPost{}, err
		}
		t, err := time.Parse(graphTime, p.Created)
		if err != nil {
			return OwnPost{}, fmt.Errorf("created_time %q: %w", p.Created, err)
		}
		// A post nobody shared has no shares field at all: 0 shares.
		shares := new(int64)
		if p.Shares != nil {
			shares = p.Shares.Count
		}
		return OwnPost{Published: t, Likes: p.Reactions.Summary.Total, Replies: p.Comments.Summary.Total, Shares: shares}, nil
	},
}

var instagramPosts = graphPosts{
	edge:   "media",
	fields: "id,timestamp,like_count,comments_count,media_type,media_product_type,permalink",
	counts: engagementCounts{},
	read: func(raw json.RawMessage) (OwnPost, error) {
		var m struct {
			Time     string `json:"timestamp"`
			Likes    *int64 `json:"like_count"`     // absent where the owner hides it
			Comments *int64 `json:"comments_count"` // absent where comments are off
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			return OwnPost{}, err
		}
		t, err := time.Parse(graphTime, m.Time)
		if err != nil {
			return OwnPost{}, fmt.Errorf("timestamp %q: %w", m.Time, err)
		}
		return OwnPost{Published: t, Likes: m.Likes, Replies: m.Comments}, nil
	},
}

// graphTime is the Graph API's time: an offset without a colon.
const graphTime = "2006-01-02T15:04:05-0700"

// ownPosts reads an account's posts (a Page's) or media (an IG user's) of
// the window, 25 a page from since, following paging.next as given; a next
// page on another host than the channel's is refused, as the token would
// go with it.
func (g *graph) ownPosts(ctx context.Context, id string) ([]OwnPost, *Error) {
	now := g.env.now()
	q := url.Values{"fields": {g.posts.fields}, "limit": {"25"}, "since": {fmt.Sprint(now.AddDate(0, 0, -int(g.settings.PostsWindow)).Unix())}}
	first := joinURL(g.base, "/"+g.version+"/"+url.PathEscape(id)+"/"+g.posts.edge) + "?" + q.Encode()
	host := ""
	if base, err := url.Parse(g.base); err == nil {
		host = base.Host
	}
	return pageBack(g.settings.PostsWindow, g.settings.MaxPages, now, "posts", published, func(next string) ([]OwnPost, string, *Error) {
		if next == "" {
			next = first
		}
		if u, err := url.Parse(next); err != nil || u.Host != host {
			return nil, "", Fail(Decode, fmt.Errorf("the next page is not on %s, so the token is not sent there", host))
		}
		var body struct {
			Data   []json.RawMessage `json:"data"`
			Paging struct {
				Next string `json:"next"`
			} `json:"paging"`
		}
		if err := GetJSON(ctx, g.env.Client, next, g.header, &body, classifyGraph); err != nil {
			g.explainPermission(err)
			return nil, "", Classify(err)
		}
		posts := make([]OwnPost, 0, len(body.Data))
		for _, raw := range body.Data {
			p, err := g.posts.read(raw)
			if err != nil {
				return nil, "", Fail(Decode, fmt.Errorf("a %s item: %w", g.posts.edge, err))
			}
			posts = append(posts, p)
		}
		return posts, body.Paging.Next, nil
	})
}
