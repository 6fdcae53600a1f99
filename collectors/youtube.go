package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/youtube/v3"
)

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
	client.Transport = &apiKeyTransport{base: env.Client.Transport, key: env.Channel.Credentials.APIKey.Reveal()}
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

// RoundTrip adds the API key header.
func (t *apiKeyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("X-Goog-Api-Key", t.key)
	return t.base.RoundTrip(req)
}

// Collect reads every account; see Collector.
func (y *youTube) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, YouTubeBatch, y.conc, func(ctx context.Context, batch []string) Result {
		var res Result
		var resp *youtube.ChannelListResponse
		err := Retry(ctx, func() error {
			var err error
			resp, err = y.svc.Channels.List([]string{"statistics"}).Id(batch...).MaxResults(YouTubeBatch).Context(ctx).Do()
			if err != nil {
				return classifyGoogle(err, batch)
			}
			return nil
		})
		if err != nil {
			res.fail(err, batch...)
			return res
		}
		found := make(map[string]*youtube.Channel, len(resp.Items))
		for _, ch := range resp.Items {
			found[ch.Id] = ch
		}
		for _, id := range batch {
			ch, ok := found[id]
			switch {
			case !ok:
				res.fail(Fail(NotFound, errors.New("channels.list did not return this channel id")), id)
			case ch.Statistics == nil:
				res.fail(Fail(Decode, errors.New("channels.list returned no statistics")), id)
			default:
				st := ch.Statistics
				// A hidden subscriber count decodes as 0: it is unknown, not 0.
				if !st.HiddenSubscriberCount {
					res.add(id, "subscribers", float64(st.SubscriberCount))
				}
				res.add(id, "views", float64(st.ViewCount))
				res.add(id, "videos", float64(st.VideoCount))
			}
		}
		return res
	})
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
