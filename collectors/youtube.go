package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/config"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/youtube/v3"
)

func init() {
	register("youtube", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:     append([]string{"subscribers", "views", "videos"}, youTubeEngagement...),
			Credentials: []string{"api_key"},
			Options:     []string{"quota", "concurrency"},
			Settings: &youTubeSettings{
				Posts: config.Posts{PostsWindow: 30},
				Pages: config.Pages{MaxPages: 10}, // 50 uploads a page: 500 videos a window
			},
			LevelMetrics:   youTubeEngagement,
			MaxPostsWindow: 365,
			// Engagement: a playlistItems page and a videos.list call per
			// channel at least, a unit each.
			EngagementUnitsPerAccount: 2,
			DefaultSchedule:           "@every 6h", // 4 runs a day, 1 unit per 50 channels each
			DefaultTimeout:            time.Minute,
			DefaultConcurrency:        8, // no per-second limit, only the daily units: 8 calls in flight
			Batch:                     YouTubeBatch,
			DefaultQuota:              10000, // the API's default allocation; channels.list costs 1 a call
			QuotaZone:                 "America/Los_Angeles",
			Resolution:                youTubeResolution,
			ResolutionNote:            "YouTube rounds subscriber counts above 1,000 to three significant figures",
		},
		Ratios: engagementRatios,
		New:    newYouTube,
	})
}

// youTubeEngagement are YouTube's engagement metrics: likes, comments as
// replies and views; YouTube has no share count, and hides likes or turns
// comments off per video.
var youTubeEngagement = engagementMetrics(false, true)

// youTubeSettings are a youtube channel's own keys.
type youTubeSettings struct {
	config.Posts `yaml:",inline"`
	config.Pages `yaml:",inline"`
}

// YouTubeBatch is how many channel ids one channels.list call takes.
const YouTubeBatch = 50

// youTube reads channel statistics with the YouTube Data API v3 client.
type youTube struct {
	svc      *youtube.Service
	conc     int
	env      Env
	settings *youTubeSettings
}

func newYouTube(env Env) (Collector, error) {
	endpoint := "https://youtube.googleapis.com/"
	if env.Channel.APIURL != "" {
		endpoint = strings.TrimSuffix(env.Channel.APIURL, "/") + "/"
	}
	// The key goes in the X-Goog-Api-Key header rather than the key= query
	// parameter, so that no URL the client prints can carry it. With our own
	// HTTP client the library ignores WithAPIKey, hence the wrapping transport.
	client := *env.Client
	client.Transport = &apiKeyTransport{base: &captureTransport{base: env.Client.Transport}, key: env.Channel.Credentials.Get("api_key").Reveal()}
	svc, err := youtube.NewService(context.Background(),
		option.WithHTTPClient(&client),
		option.WithEndpoint(endpoint),
		option.WithUserAgent(UserAgent()),
	)
	if err != nil {
		return nil, fmt.Errorf("youtube client: %w", err)
	}
	return &youTube{svc: svc, conc: env.Channel.Concurrency, env: env, settings: settingsOf[youTubeSettings](env)}, nil
}

type apiKeyTransport struct {
	base http.RoundTripper
	key  string
}

// RoundTrip adds the API key header.
func (t *apiKeyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Goog-Api-Key", t.key)
	return t.base.RoundTrip(req)
}

// youTubeChannels is channels.list's answer as sent. The library decodes
// the counts into plain integers, so an absent or null count would read as
// 0: the collector reads them from the answer's bytes.
type youTubeChannels struct {
	Items []struct {
		ID         string `json:"id"`
		Statistics *struct {
			SubscriberCount       json.RawMessage `json:"subscriberCount"`
			HiddenSubscriberCount bool            `json:"hiddenSubscriberCount"`
			ViewCount             json.RawMessage `json:"viewCount"`
			VideoCount            json.RawMessage `json:"videoCount"`
		} `json:"statistics"`
		ContentDetails *struct {
			RelatedPlaylists struct {
				Uploads string `json:"uploads"`
			} `json:"relatedPlaylists"`
		} `json:"contentDetails"`
	} `json:"items"`
}

// Collect reads every account; see Collector.
func (y *youTube) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, YouTubeBatch, y.conc, func(ctx context.Context, batch []string) Result {
		var res Result
		var body []byte
		err := Retry(ctx, func() error {
			callCtx, got := withCapture(ctx)
			parts := []string{"statistics"}
			if y.env.Channel.Engagement {
				parts = append(parts, "contentDetails") // the uploads playlist, in the same call
			}
			_, err := y.svc.Channels.List(parts).Id(batch...).MaxResults(YouTubeBatch).Context(callCtx).Do()
			var status int
			status, body = got.answer()
			var ge *googleapi.Error
			switch {
			case err == nil:
				return nil
			case !errors.As(err, &ge) && status >= 200 && status < 300:
				// A 200 whose body is not channels.list's JSON (an HTML page
				// from a proxy): retrying will not make it readable.
				return Fail(Decode, fmt.Errorf("youtube: channels.list answered %d with a body that is not its JSON: %w", status, ScrubError(err)), batch...)
			default:
				return classifyGoogle(err, batch)
			}
		})
		if err != nil {
			res.fail(err, batch...)
			return res
		}
		var list youTubeChannels
		if err := json.Unmarshal(body, &list); err != nil {
			res.fail(Fail(Decode, fmt.Errorf("youtube: reading channels.list's answer: %w", err)), batch...)
			return res
		}
		found := make(map[string]int, len(list.Items))
		for i, ch := range list.Items {
			found[ch.ID] = i
		}
		for _, id := range batch {
			i, ok := found[id]
			if !ok {
				res.fail(Fail(NotFound, errors.New("channels.list did not return this channel id")), id)
				continue
			}
			st := list.Items[i].Statistics
			if st == nil {
				res.fail(Fail(Decode, errors.New("channels.list returned no statistics")), id)
				continue
			}
			if st.HiddenSubscriberCount {
				res.hide(id, "subscribers", HiddenByAccount)
			} else {
				res.addCount(id, "subscribers", st.SubscriberCount)
			}
			res.addCount(id, "views", st.ViewCount)
			res.addCount(id, "videos", st.VideoCount)
			if y.env.Channel.Engagement {
				cd := list.Items[i].ContentDetails
				if cd == nil || cd.RelatedPlaylists.Uploads == "" {
					res.fail(Fail(Decode, errors.New("channels.list gave no uploads playlist")), id)
					continue
				}
				var subscribers *int64
				if n, ok, err := countOf(st.SubscriberCount); err == nil && ok && !st.HiddenSubscriberCount {
					subscribers = &n
				}
				if posts, err := y.ownPosts(ctx, cd.RelatedPlaylists.Uploads); err != nil {
					res.fail(err, id)
				} else {
					res.addEngagement(id, posts, subscribers, engagementCounts{views: true})
				}
			}
		}
		return res
	})
}

// youTubeResolution is the step in which channels.list shows a metric of a
// channel whose count is about v: subscriber counts above 1,000 are rounded
// down to three significant figures (123,456 reads 123,000); views and
// videos are exact.
func youTubeResolution(metric string, v float64) float64 {
	if metric != "subscribers" || v < 1000 {
		return 1
	}
	return math.Pow(10, math.Floor(math.Log10(v))-2)
}

// googleReason is the reason of a googleapi.Error by the reasons of its
// items, which every Google API shares; the status where they say nothing.
func googleReason(ge *googleapi.Error) Reason {
	reason := ReasonForStatus(ge.Code)
	for _, item := range ge.Errors {
		switch {
		case item.Reason == "quotaExceeded" || item.Reason == "dailyLimitExceeded":
			reason = Quota
		case strings.HasSuffix(item.Reason, "RateLimitExceeded") || item.Reason == "rateLimitExceeded":
			reason = RateLimited
		case item.Reason == "channelNotFound":
			reason = NotFound
		}
	}
	return reason
}

// classifyGoogle reads a googleapi.Error: 403 quotaExceeded is the daily
// quota, not an auth problem; 400 with an invalid key is auth.
func classifyGoogle(err error, batch []string) *Error {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return Classify(ScrubError(err), batch...)
	}
	reason := googleReason(ge)
	if ge.Code == http.StatusBadRequest && (strings.Contains(ge.Body, "API_KEY_INVALID") || strings.Contains(ge.Message, "API key not valid")) {
		reason = Auth
	}
	// The error's text is the API's message; the raw body stays out of it.
	e := Fail(reason, fmt.Errorf("youtube: %w", &StatusError{Code: ge.Code, Header: ge.Header, Body: []byte(ge.Message)}), batch...)
	e.RetryAt = ResetTime(ge.Code, ge.Header, time.Now())
	return e
}

// youTubeVideos is videos.list's answer as sent: an absent likeCount is a
// video whose likes are hidden, an absent commentCount one whose comments
// are off (the library would decode both as 0).
type youTubeVideos struct {
	Items []struct {
		ID         string `json:"id"`
		Statistics struct {
			ViewCount    json.RawMessage `json:"viewCount"`
			LikeCount    json.RawMessage `json:"likeCount"`
			CommentCount json.RawMessage `json:"commentCount"`
		} `json:"statistics"`
	} `json:"items"`
}

// ownPosts reads a channel's uploads of the window: its uploads playlist,
// newest first, 50 a page, until a video published before the window, then
// the videos' statistics 50 ids a call. A unit a call.
func (y *youTube) ownPosts(ctx context.Context, uploads string) ([]OwnPost, *Error) {
	now := y.env.now()
	type upload struct {
		id        string
		published time.Time
	}
	videos, fail := pageBack(y.settings.PostsWindow, y.settings.MaxPages, now, "playlistItems", func(u upload) time.Time { return u.published }, func(token string) ([]upload, string, *Error) {
		var list *youtube.PlaylistItemListResponse
		err := Retry(ctx, func() error {
			var err error
			call := y.svc.PlaylistItems.List([]string{"contentDetails"}).PlaylistId(uploads).MaxResults(YouTubeBatch).Context(ctx)
			if token != "" {
				call = call.PageToken(token)
			}
			list, err = call.Do()
			if err != nil {
				return classifyGoogle(err, nil)
			}
			return nil
		})
		if err != nil {
			return nil, "", Classify(err)
		}
		page := make([]upload, 0, len(list.Items))
		for _, it := range list.Items {
			if it.ContentDetails == nil {
				continue
			}
			published, err := time.Parse(time.RFC3339, it.ContentDetails.VideoPublishedAt)
			if err != nil {
				continue // a private or deleted video has no date
			}
			page = append(page, upload{it.ContentDetails.VideoId, published})
		}
		return page, list.NextPageToken, nil
	})
	if fail != nil {
		return nil, fail
	}
	posts := make([]OwnPost, 0, len(videos))
	for start := 0; start < len(videos); start += YouTubeBatch {
		batch := videos[start:min(start+YouTubeBatch, len(videos))]
		ids := make([]string, len(batch))
		for i, v := range batch {
			ids[i] = v.id
		}
		var body []byte
		err := Retry(ctx, func() error {
			callCtx, got := withCapture(ctx)
			_, err := y.svc.Videos.List([]string{"statistics"}).Id(ids...).MaxResults(YouTubeBatch).Context(callCtx).Do()
			_, body = got.answer()
			if err != nil {
				return classifyGoogle(err, nil)
			}
			return nil
		})
		if err != nil {
			return nil, Classify(err)
		}
		var stats youTubeVideos
		if err := json.Unmarshal(body, &stats); err != nil {
			return nil, Fail(Decode, fmt.Errorf("youtube: reading videos.list's answer: %w", err))
		}
		byID := map[string]int{}
		for i, it := range stats.Items {
			byID[it.ID] = i
		}
		for _, v := range batch {
			i, ok := byID[v.id]
			if !ok {
				continue // private or removed since it was listed
			}
			st := stats.Items[i].Statistics
			post := OwnPost{Published: v.published}
			var err error
			if post.Views, err = optionalCount(st.ViewCount); err == nil {
				if post.Likes, err = optionalCount(st.LikeCount); err == nil {
					post.Replies, err = optionalCount(st.CommentCount)
				}
			}
			if err != nil {
				return nil, Fail(Decode, fmt.Errorf("youtube: video %s: %w", v.id, err))
			}
			posts = append(posts, post)
		}
	}
	return posts, nil
}

// optionalCount reads a count that the API leaves out when it hides it: nil
// for absent, an error for one that is there but no count.
func optionalCount(raw json.RawMessage) (*int64, error) {
	n, ok, err := countOf(raw)
	if err != nil || !ok {
		return nil, err
	}
	return &n, nil
}
