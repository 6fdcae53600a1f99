package digest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Slack's Block Kit limits (api.slack.com/reference/block-kit): 50 blocks a
// message, 3,000 characters a section's text, 150 a header's; a message of
// about 13,000 characters of blocks is already refused
// (msg_blocks_too_long), so the whole is kept under slackMaxTotal.
const (
	slackMaxBlocks  = 50
	slackMaxSection = 3000
	slackMaxHeader  = 150
	slackMaxTotal   = 12000
)

// slackSender posts to a Slack incoming webhook: {"text", "blocks"}, where
// text is the notification's fallback. Slack answers 200 "ok" to success
// and any other status to a failure.
type slackSender struct{ webhook }

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

func (s *slackSender) send(ctx context.Context, c *Content, _ []Chart) error {
	return s.post(ctx, slackPayload(c), status(http.StatusOK))
}

// slackEscape escapes what mrkdwn reads as markup: &, < and >.
var slackEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace

// slackStyle is Slack's mrkdwn: *bold*, <url|text>.
var slackStyle = style{
	esc:  slackEscape,
	bold: func(s string) string { return "*" + slackEscape(s) + "*" },
	link: func(text, url string) string {
		return "<" + url + "|" + strings.NewReplacer("|", "¦").Replace(slackEscape(text)) + ">"
	},
}

// slackPayload is the digest as Block Kit: a header, then each section as
// section blocks of at most slackMaxSection characters, within the
// message's limits (what does not fit is counted in a last line).
func slackPayload(c *Content) slackMessage {
	title := []rune(c.Subject())
	if len(title) > slackMaxHeader {
		title = append(title[:slackMaxHeader-1], '…')
	}
	msg := slackMessage{Text: c.Subject(), Blocks: []slackBlock{{Type: "header", Text: &slackText{Type: "plain_text", Text: string(title)}}}}
	total := len(title)
	var lines []string // every line, headings bold, in order
	for _, s := range c.sections(slackStyle) {
		lines = append(lines, "*"+s.Title+"*")
		for _, l := range s.Lines {
			lines = append(lines, "• "+l)
		}
	}
	if c.Link != "" {
		lines = append(lines, "<"+c.Link+"|The whole plan>")
	}
	var block strings.Builder
	flush := func() {
		if block.Len() > 0 {
			msg.Blocks = append(msg.Blocks, slackBlock{Type: "section", Text: &slackText{Type: "mrkdwn", Text: block.String()}})
			block.Reset()
		}
	}
	for i, l := range lines {
		if r := []rune(l); len(r) > slackMaxSection-1 {
			l = string(r[:slackMaxSection-2]) + "…"
		}
		room := len(msg.Blocks) < slackMaxBlocks-2 && total+len([]rune(l))+1 <= slackMaxTotal
		if !room {
			flush()
			msg.Blocks = append(msg.Blocks, slackBlock{Type: "context", Elements: []slackText{{Type: "mrkdwn",
				Text: fmt.Sprintf("… and %d more lines: too long for one message.", len(lines)-i)}}})
			return msg
		}
		if len([]rune(block.String()))+len([]rune(l))+1 > slackMaxSection || strings.HasPrefix(l, "*") {
			flush()
		}
		if block.Len() > 0 {
			block.WriteString("\n")
		}
		block.WriteString(l)
		total += len([]rune(l)) + 1
	}
	flush()
	return msg
}
