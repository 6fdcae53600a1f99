package digest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
)

// Discord's webhook limits (discord-api-docs, resources/webhook and
// message): content 2,000 characters, 10 embeds, an embed's title 256 and
// description 4,096, all embeds together 6,000. Success is 204 No Content
// (200 with ?wait=true); 429 carries retry_after in seconds.
const (
	discordMaxContent     = 2000
	discordMaxEmbeds      = 10
	discordMaxTitle       = 256
	discordMaxDescription = 4096
	discordMaxEmbedsTotal = 6000
)

// discordSender posts to a Discord webhook: the plan's state as content,
// each section as an embed.
type discordSender struct{ webhook }

type discordEmbed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	URL         string `json:"url,omitempty"`
	Color       int    `json:"color,omitempty"`
}

type discordMessage struct {
	Content         string         `json:"content"`
	Embeds          []discordEmbed `json:"embeds"`
	AllowedMentions map[string]any `json:"allowed_mentions"`
}

func (s *discordSender) send(ctx context.Context, c *Content, _ []Chart) error {
	return s.post(ctx, discordPayload(c), status(http.StatusNoContent, http.StatusOK))
}

// discordPayload keeps every limit: a section's lines go into its embed
// while they fit its own limit and what is left of the total.
func discordPayload(c *Content) discordMessage {
	sections := c.sections(markdownStyle)
	head := "**" + mdEscape(c.Subject()) + "**\n"
	if c.Link != "" {
		head += c.Link + "\n"
	}
	if runes(head) > discordMaxContent-80 { // room for the note below
		head = string([]rune(head)[:discordMaxContent-81]) + "…\n"
	}
	msg := discordMessage{
		Content: head,
		// A digest mentions no one, whatever a KPI's name says.
		AllowedMentions: map[string]any{"parse": []string{}},
	}
	left := discordMaxEmbedsTotal
	for i, s := range sections {
		if i >= discordMaxEmbeds || left < 100 {
			break
		}
		title := s.Title
		lines := make([]string, len(s.Lines))
		for j, l := range s.Lines {
			lines[j] = "- " + l + "\n"
		}
		// Each embed leaves room for the later sections' titles and a line.
		budget := min(discordMaxDescription, left-runes(title)-100*(len(sections)-i-1))
		desc := strings.TrimSuffix(fit("", lines, "", max(budget, 100)), "\n")
		e := discordEmbed{Title: title, Description: desc, Color: 0x0969da}
		if s.Title == headBehind && len(c.Behind) > 0 {
			e.Color = 0xcf222e
		}
		left -= runes(e.Title) + runes(e.Description)
		msg.Embeds = append(msg.Embeds, e)
	}
	if n := len(sections) - len(msg.Embeds); n > 0 {
		msg.Content += fmt.Sprintf("(%d more sections: too long for one message.)\n", n)
	}
	return msg
}
