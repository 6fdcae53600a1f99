package collectors

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
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
		Ratios:     engagementRatios,
		New:        newFacebook,
		VersionEnd: graphVersionEnd,
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
		Ratios:     engagementRatios,
		New:        newInstagram,
		VersionEnd: graphVersionEnd,
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
	// VersionEnd, where set, replaces the end of the channel's version
	// known from graphVersions.
	VersionEnd config.Date `yaml:"version_end"`
}

// GraphBatch is how many ids one Graph API ?ids= call takes.
const GraphBatch = 50

// DefaultGraphVersion is the Graph API version asked for unless the channel
// sets `version:`: the latest, released 2026-11-04.
const DefaultGraphVersion = "v27.0"

// graphVersions are the Graph API's versions, each with its release and,
// where Meta has announced it, the day it stops (developers.facebook.com/
// docs/graph-api/changelog/versions; v27.0: the developers blog,
// 2026-11-04). Meta's rule (docs/graph-api/guides/versioning): "A version
// will no longer be usable two years after the date that the subsequent
// version is released"; the announced day governs where there is one (v22.0
// ends 9 days short of the rule). A retired version is not refused: calls
// to it are answered by the next oldest version, silently.
var graphVersions = []struct {
	version  string
	released config.Date
	ends     config.Date // zero: not announced
}{
	{"v19.0", config.Date{Year: 2024, Month: time.January, Day: 23}, config.Date{Year: 2026, Month: time.May, Day: 21}},
	{"v20.0", config.Date{Year: 2024, Month: time.May, Day: 21}, config.Date{Year: 2026, Month: time.September, Day: 24}},
	{"v21.0", config.Date{Year: 2024, Month: time.October, Day: 2}, config.Date{Year: 2027, Month: time.January, Day: 21}},
	{"v22.0", config.Date{Year: 2025, Month: time.January, Day: 21}, config.Date{Year: 2027, Month: time.May, Day: 20}},
	{"v23.0", config.Date{Year: 2025, Month: time.May, Day: 29}, config.Date{Year: 2027, Month: time.October, Day: 8}},
	{"v24.0", config.Date{Year: 2025, Month: time.October, Day: 8}, config.Date{Year: 2028, Month: time.February, Day: 18}},
	{"v25.0", config.Date{Year: 2026, Month: time.February, Day: 18}, config.Date{Year: 2028, Month: time.July, Day: 29}},
	{"v26.0", config.Date{Year: 2026, Month: time.July, Day: 29}, config.Date{}},
	{"v27.0", config.Date{Year: 2026, Month: time.November, Day: 4}, config.Date{}},
}

// graphVersionEnd is when the channel's Graph API version stops:
// version_end, else the announced day, else two years after the next
// version's release; unknown for the latest version and for one not in
// the table.
func graphVersionEnd(ch *config.Channel) VersionEnd {
	s := settingsFor[graphSettings](ch)
	v := cmp.Or(s.Version, DefaultGraphVersion)
	if !s.VersionEnd.IsZero() {
		return VersionEnd{Version: v, Ends: utcDay(s.VersionEnd), Source: "version_end"}
	}
	for i, gv := range graphVersions {
		switch {
		case gv.version != v:
		case !gv.ends.IsZero():
			return VersionEnd{Version: v, Ends: utcDay(gv.ends), Source: "Meta's versions page"}
		case i+1 < len(graphVersions):
			return VersionEnd{Version: v, Ends: utcDay(graphVersions[i+1].released).AddDate(2, 0, 0), Source: "two years after the next version's release, Meta's rule"}
		}
	}
	return VersionEnd{Version: v}
}

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

// CheckCredential asks Meta's debug_token when the channel's access token
// ends (API-REFERENCE-3 C): the earlier of expires_at and
// data_access_expires_at, where 0 means never. The token checks itself,
// both as the caller and, as the endpoint demands, in input_token, the
// one place a secret travels in a URL here (every URL printed is scrubbed).
// A token Meta calls invalid is answered with HTTP 200 and is_valid false.
func (g *graph) CheckCredential(ctx context.Context) (CredentialExpiry, bool, error) {
	token := g.env.Channel.Credentials.Get("access_token").Reveal()
	q := url.Values{"input_token": {token}}
	var body struct {
		Data *struct {
			IsValid             *bool  `json:"is_valid"`
			ExpiresAt           *int64 `json:"expires_at"`
			DataAccessExpiresAt *int64 `json:"data_access_expires_at"`
			Error               *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
				Subcode int    `json:"subcode"`
			} `json:"error"`
		} `json:"data"`
	}
	if err := GetJSON(ctx, g.env.Client, joinURL(g.base, "/"+g.version+"/debug_token")+"?"+q.Encode(), g.header, &body, classifyDebugToken); err != nil {
		return CredentialExpiry{}, false, err
	}
	d := body.Data
	if d == nil || d.IsValid == nil {
		return CredentialExpiry{}, false, Fail(Decode, errors.New("debug_token's answer lacks data.is_valid"))
	}
	at := func(p *int64) time.Time {
		if p == nil || *p <= 0 {
			return time.Time{}
		}
		return time.Unix(*p, 0)
	}
	expires, dataAccess := at(d.ExpiresAt), at(d.DataAccessExpiresAt)
	if !*d.IsValid {
		now := g.env.now()
		exp := CredentialExpiry{What: "the access token", Dead: "Meta says the token is not valid", Ends: now}
		if d.Error != nil {
			exp.Dead += fmt.Sprintf(" (#%d/%d: %s)", d.Error.Code, d.Error.Subcode, d.Error.Message)
		}
		if !expires.IsZero() && expires.Before(now) {
			exp.Ends = expires
		}
		return exp, true, nil
	}
	switch {
	case expires.IsZero() && dataAccess.IsZero():
		return CredentialExpiry{Never: true, What: "the access token"}, true, nil
	case dataAccess.IsZero() || (!expires.IsZero() && !dataAccess.Before(expires)):
		return CredentialExpiry{Ends: expires, What: "the access token"}, true, nil
	default:
		return CredentialExpiry{Ends: dataAccess, What: "the access token's data access"}, true, nil
	}
}

// classifyDebugToken is classifyGraph, where a refused caller (#100: the
// token may not debug itself) is auth.
func classifyDebugToken(se *StatusError) Reason {
	var b graphError
	if json.Unmarshal(se.Body, &b) == nil && b.Error.Code == 100 && b.Error.Type == "OAuthException" {
		return Auth
	}
	return classifyGraph(se)
}
