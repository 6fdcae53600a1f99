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
			Metrics:            []string{"followers", "likes"},
			Credentials:        []string{"access_token"},
			Options:            []string{"version", "concurrency"},
			DefaultSchedule:    "@every 6h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2, // usage is counted per hour; no need to hurry
			Batch:              GraphBatch,
		},
		New: newFacebook,
	})
	register("instagram", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers", "following", "posts"},
			Credentials:        []string{"access_token"},
			Options:            []string{"version", "concurrency"},
			DefaultSchedule:    "@every 6h",
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 2,
			Batch:              GraphBatch,
		},
		New: newInstagram,
	})
}

// GraphBatch is how many ids one Graph API ?ids= call takes.
const GraphBatch = 50

// DefaultGraphVersion is the Graph API version asked for unless the channel
// sets `version:`.
const DefaultGraphVersion = "v26.0"

// graph reads Page (facebook) or IG user (instagram) fields from the Meta
// Graph API, many ids a call.
type graph struct {
	env     Env
	base    string
	version string
	fields  map[string]string // Graph field -> metric
	header  http.Header
}

func newFacebook(env Env) (Collector, error) {
	return newGraph(env, map[string]string{"followers_count": "followers", "fan_count": "likes"}), nil
}

func newInstagram(env Env) (Collector, error) {
	return newGraph(env, map[string]string{"followers_count": "followers", "follows_count": "following", "media_count": "posts"}), nil
}

func newGraph(env Env, fields map[string]string) *graph {
	g := &graph{env: env, base: env.Channel.APIURL, version: env.Channel.Version, fields: fields, header: http.Header{}}
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
