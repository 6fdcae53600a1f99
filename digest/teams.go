package digest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// A Teams workflow ("When a Teams webhook request is received") takes an
// Adaptive Card in a message envelope; card version 1.5 is refused and 1.4
// works, a plain {"text"} fails inside the flow, and a request over about
// 28 KB is "Request entity too large". The flow answers 202 Accepted (its
// own failures are not seen by the sender).
const (
	teamsCardVersion = "1.4"
	teamsMaxBytes    = 27 << 10 // under 28 KB, with room for the envelope
)

// teamsSender posts an Adaptive Card to a Teams workflow webhook.
type teamsSender struct{ webhook }

type teamsEnvelope struct {
	Type        string            `json:"type"`
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"`
	ContentURL  *string   `json:"contentUrl"`
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"`
	Version string         `json:"version"`
	Body    []teamsElement `json:"body"`
	Actions []teamsAction  `json:"actions,omitempty"`
	MSTeams map[string]any `json:"msteams"`
}

type teamsElement struct {
	Type     string `json:"type"`
	Text     string `json:"text"`
	Weight   string `json:"weight,omitempty"`
	Size     string `json:"size,omitempty"`
	Wrap     bool   `json:"wrap"`
	Spacing  string `json:"spacing,omitempty"`
	IsSubtle bool   `json:"isSubtle,omitempty"`
}

type teamsAction struct {
	Type  string `json:"type"`
	Title string `json:"title"`
	URL   string `json:"url"`
}

func (s *teamsSender) send(ctx context.Context, c *Content, _ []Chart) error {
	return s.post(ctx, teamsPayload(c), status(http.StatusOK, http.StatusAccepted))
}

// teamsPayload is the digest as an Adaptive Card 1.4: a title, then each
// section's heading and lines as text blocks (Markdown, which TextBlock
// reads), as many as keep the request under teamsMaxBytes.
func teamsPayload(c *Content) teamsEnvelope {
	card := teamsCard{
		Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: teamsCardVersion,
		Body:    []teamsElement{{Type: "TextBlock", Text: c.Subject(), Weight: "Bolder", Size: "Medium", Wrap: true}},
		MSTeams: map[string]any{"width": "full"},
	}
	if c.Link != "" {
		card.Actions = []teamsAction{{Type: "Action.OpenUrl", Title: "The whole plan", URL: c.Link}}
	}
	env := teamsEnvelope{Type: "message", Attachments: []teamsAttachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
	var elements []teamsElement
	for _, s := range c.sections(markdownStyle) {
		elements = append(elements, teamsElement{Type: "TextBlock", Text: s.Title, Weight: "Bolder", Wrap: true, Spacing: "Medium"})
		for _, l := range s.Lines {
			elements = append(elements, teamsElement{Type: "TextBlock", Text: l, Wrap: true, Spacing: "None"})
		}
	}
	size := func() int {
		b, _ := json.Marshal(env)
		return len(b)
	}
	used := size()
	for i, e := range elements {
		b, _ := json.Marshal(e)
		if used+len(b)+200 > teamsMaxBytes { // 200: the note below
			env.Attachments[0].Content.Body = append(env.Attachments[0].Content.Body, teamsElement{Type: "TextBlock",
				Text: fmt.Sprintf("… and %d more lines: too long for one card.", len(elements)-i), Wrap: true, IsSubtle: true})
			break
		}
		env.Attachments[0].Content.Body = append(env.Attachments[0].Content.Body, e)
		used += len(b) + 1
	}
	return env
}
