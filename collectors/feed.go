package collectors

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/mmcdole/gofeed"
)

// feed reads an RSS or Atom feed and reports its items; the engine keeps the
// ledger that makes "posts" survive items scrolling out of the feed.
type feed struct {
	env Env
}

func newFeed(env Env) (Collector, error) { return &feed{env: env}, nil }

// Collect reads every account; see Collector.
func (f *feed) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, 1, f.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		account := batch[0]
		parser := gofeed.NewParser()
		parser.Client = f.env.Client
		parser.UserAgent = UserAgent()
		parser.MaxByteSize = MaxBodySize
		parsed, err := parser.ParseURLWithContext(account, ctx)
		if err != nil {
			res.Errors = append(res.Errors, classifyFeed(err, account))
			return res
		}
		res.ItemAccounts = append(res.ItemAccounts, account)
		for _, it := range parsed.Items {
			id := it.GUID
			if id == "" {
				id = it.Link
			}
			if id == "" {
				id = it.Title // a feed item with neither guid nor link: its title is all there is
			}
			if id == "" {
				continue
			}
			item := Item{Account: account, ID: id}
			if it.PublishedParsed != nil {
				item.Published = it.PublishedParsed.UTC()
			} else if it.UpdatedParsed != nil {
				item.Published = it.UpdatedParsed.UTC()
			}
			res.Items = append(res.Items, item)
		}
		return res
	})
}

func classifyFeed(err error, account string) *Error {
	var he gofeed.HTTPError
	if errors.As(err, &he) {
		return Fail(ReasonForStatus(he.StatusCode), fmt.Errorf("feed: HTTP %d", he.StatusCode), account)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return Classify(ScrubError(err), account)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return Classify(err, account)
	}
	return Fail(Decode, fmt.Errorf("feed: %w", err), account)
}
