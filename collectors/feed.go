package collectors

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"time"

	"github.com/kpi-collector/kpi-collector/config"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html/charset"
)

func init() {
	register("feed", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"posts"},
			Options:            []string{"concurrency"},
			DefaultSchedule:    "@every 1h", // often enough that a 10-item feed misses no post
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 4, // feeds live on different hosts
			AccountCheck:       checkHTTPURL,
			ItemLedgerMetric:   "posts",
		},
		New: newFeed,
	})
}

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
		header := http.Header{"Accept": {"application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"}}
		body, contentType, err := GetWithType(ctx, f.env.Client, account, header, nil)
		if err != nil {
			res.fail(err, account)
			return res
		}
		parsed, err := parseFeed(body, contentType)
		if err != nil {
			res.fail(Fail(Decode, fmt.Errorf("feed: %w", err)), account)
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

var (
	// xmlDeclEncoding finds the encoding a document declares of itself.
	xmlDeclEncoding = regexp.MustCompile(`^\s*<\?xml[^>]*\sencoding\s*=`)
	// itemElement finds an RSS item or Atom entry element in a body.
	itemElement = regexp.MustCompile(`<(item|entry)[\s>/]`)
)

// parseFeed parses a feed body. The charset of the Content-Type header is
// honored when the document declares none of its own (the XML declaration
// wins, as XML says). A body that has item or entry elements but parses into
// no items is ill-formed, not an empty feed: counting it would store a false 0.
func parseFeed(body []byte, contentType string) (*gofeed.Feed, error) {
	var r io.Reader = bytes.NewReader(body)
	if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" && !xmlDeclEncoding.Match(body) {
		cr, err := charset.NewReaderLabel(params["charset"], r)
		if err != nil {
			return nil, fmt.Errorf("the answer's charset %q is not one this collector reads: %w", params["charset"], err)
		}
		r = cr
	}
	parsed, err := gofeed.NewParser().Parse(r)
	if err != nil {
		return nil, err
	}
	if len(parsed.Items) == 0 && itemElement.Match(body) {
		return nil, errors.New("the feed has item or entry elements, but none could be read: it is not well-formed XML")
	}
	return parsed, nil
}
