package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kpi-collector/kpi-collector/config"
	"math"
	"net/http"
	"strings"
	"time"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/youtube/v3"
)

func init() {
	register("youtube", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"subscribers", "views", "videos"},
			Credentials:        []string{"api_key"},
			Options:            []string{"quota", "concurrency"},
			DefaultSchedule:    "@every 6h", // 4 runs a day, 1 unit per 50 channels each
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 8, // no per-second limit, only the daily units: 8 calls in flight
			Batch:              YouTubeBatch,
			DefaultQuota:       10000, // the API's default allocation; channels.list costs 1 a call
			QuotaZone:          "America/Los_Angeles",
			Resolution:         youTubeResolution,
			ResolutionNote:     "YouTube rounds subscriber counts above 1,000 to three significant figures",
		},
		New: newYouTube,
	})
}

// YouTubeBatch is how many channel ids one channels.list call takes.
const YouTubeBatch = 50

// youTube reads channel statistics with the YouTube Data API v3 client.
type youTube struct {
	svc  *youtube.Service
	conc int
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
	client.Transport = &apiKeyTransport{base: env.Client.Transport, key: env.Channel.Credentials.Get("api_key").Reveal()}
	svc, err := youtube.NewService(context.Background(),
		option.WithHTTPClient(&client),
		option.WithEndpoint(endpoint),
		option.WithUserAgent(UserAgent()),
	)
	if err != nil {
		return nil, fmt.Errorf("youtube client: %w", err)
	}
	return &youTube{svc: svc, conc: env.Channel.Concurrency}, nil
}

type apiKeyTransport struct {
	base http.RoundTripper
	key  string
}

// RoundTrip adds the API key header and keeps the answer for the
// collector where the context asks (see withCapture).
func (t *apiKeyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Goog-Api-Key", t.key)
	resp, err := t.base.RoundTrip(req)
	if err == nil {
		if err := capture(req, resp); err != nil {
			return nil, err
		}
	}
	return resp, err
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
	} `json:"items"`
}

// Collect reads every account; see Collector.
func (y *youTube) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, YouTubeBatch, y.conc, func(ctx context.Context, batch []string) Result {
		var res Result
		var body []byte
		err := Retry(ctx, func() error {
			callCtx, got := withCapture(ctx)
			_, err := y.svc.Channels.List([]string{"statistics"}).Id(batch...).MaxResults(YouTubeBatch).Context(callCtx).Do()
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

// classifyGoogle reads a googleapi.Error: 403 quotaExceeded is the daily
// quota, not an auth problem; 400 with an invalid key is auth.
func classifyGoogle(err error, batch []string) *Error {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return Classify(ScrubError(err), batch...)
	}
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
	if ge.Code == http.StatusBadRequest && (strings.Contains(ge.Body, "API_KEY_INVALID") || strings.Contains(ge.Message, "API key not valid")) {
		reason = Auth
	}
	// The error's text is the API's message; the raw body stays out of it.
	e := Fail(reason, fmt.Errorf("youtube: %w", &StatusError{Code: ge.Code, Header: ge.Header, Body: []byte(ge.Message)}), batch...)
	e.RetryAt = ResetTime(ge.Code, ge.Header, time.Now())
	return e
}
