package digest

import (
	"context"
	"net/http"
)

// A Mattermost incoming webhook takes {"text": Markdown} and answers 200
// "ok"; text over 16,383 characters is split into several posts, so a
// digest is kept within one.
const mattermostMaxText = 16383

// mattermostSender posts Markdown to a Mattermost incoming webhook.
type mattermostSender struct{ webhook }

type mattermostMessage struct {
	Text string `json:"text"`
}

func (s *mattermostSender) send(ctx context.Context, c *Content, _ []Chart) error {
	return s.post(ctx, mattermostMessage{Text: c.Markdown(mattermostMaxText)}, status(http.StatusOK))
}
