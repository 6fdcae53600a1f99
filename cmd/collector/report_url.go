package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	promconfig "github.com/prometheus/common/config"

	"github.com/kpi-collector/kpi-collector/peers"
	"github.com/kpi-collector/kpi-collector/report"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/vocab"
)

// urlFlags are `collector report --url`'s: where a running collector is and
// how to reach it, as Prometheus's own clients take them.
type urlFlags struct {
	url               string
	basicUser         string
	basicPasswordFile string
	bearerTokenFile   string
	tls               promconfig.TLSConfig
}

// exitPartial is report --url's exit code when a sharded deployment could
// not show the whole plan: the report is printed, and says what is missing.
const exitPartial = 3

// reportURLTimeout bounds the whole request: a plan of a million KPIs is a
// few hundred megabytes of JSON.
const reportURLTimeout = 5 * time.Minute

// runReportURL prints the plan as a running collector shows it, with no
// config, store or API secret: the rows from its JSON API, and the HTML
// report and the suggestions, which draw on each KPI's milestones and
// values, from the whole plan's evaluated KPIs (peers.ScopeWhole).
func runReportURL(f reportFlags) int {
	if f.at != "" {
		fmt.Fprintln(stderr, "collector report: --at needs the store; a running collector reports as of now")
		return 2
	}
	var missing []report.Missing
	var err error
	if f.format == "html" || f.suggest {
		var snap *snapshot.Snapshot
		if snap, missing, err = fetchWhole(f.url); err == nil {
			if f.suggest {
				err = report.WriteSuggestions(stdout, snap)
			} else {
				err = report.WriteHTML(stdout, snap)
			}
		}
	} else {
		var doc report.Document
		if doc, err = fetchReport(f.url); err == nil {
			missing = doc.Missing
			err = writeRows(f.format, doc)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "collector report: %v\n", err)
		return 1
	}
	if len(missing) > 0 {
		for _, m := range missing {
			fmt.Fprintf(stderr, "collector report: the plan is partial: shard %d (%d KPIs) is missing: %s\n", m.Shard, m.KPIs, m.Error)
		}
		return exitPartial
	}
	return 0
}

func writeRows(format string, doc report.Document) error {
	switch format {
	case "csv":
		return report.WriteCSV(stdout, doc)
	case "json":
		return report.WriteJSON(stdout, doc)
	case "markdown":
		return report.WriteMarkdown(stdout, doc)
	default:
		return report.WriteTable(stdout, doc, isTerminal(stdout))
	}
}

// fetchReport reads a running collector's /api/v1/kpis.
func fetchReport(f urlFlags) (report.Document, error) {
	var doc report.Document
	body, where, err := get(f, "/api/v1/kpis", nil, "application/json")
	if err != nil {
		return doc, err
	}
	defer body.Close()
	if err := json.NewDecoder(io.LimitReader(body, 1<<30)).Decode(&doc); err != nil {
		return doc, fmt.Errorf("%s's answer is not the JSON API's: %w", where, err)
	}
	if doc.Plan.Name == "" || doc.KPIs == nil {
		return doc, fmt.Errorf("%s's answer has no plan: is --url the collector's base URL?", where)
	}
	return doc, nil
}

// fetchWhole reads the whole plan's evaluated KPIs from a running collector.
func fetchWhole(f urlFlags) (*snapshot.Snapshot, []report.Missing, error) {
	body, where, err := get(f, peers.PartPath, url.Values{"form": {peers.FormStates}, "scope": {peers.ScopeWhole}}, peers.StatesType)
	if err != nil {
		return nil, nil, err
	}
	defer body.Close()
	snap, missing, err := peers.ReadWhole(body)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", where, err)
	}
	return snap, missing, nil
}

// get asks the collector at f.url for path and returns the answer's body
// once it is known to be of mediaType, and the URL asked (without a
// password) to name in messages.
func get(f urlFlags, path string, query url.Values, mediaType string) (io.ReadCloser, string, error) {
	base, ok := vocab.WebURL(f.url)
	if !ok {
		return nil, "", fmt.Errorf("--url %q is not an http or https URL", f.url)
	}
	cfg := promconfig.HTTPClientConfig{TLSConfig: f.tls}
	if f.basicUser != "" || f.basicPasswordFile != "" {
		cfg.BasicAuth = &promconfig.BasicAuth{Username: f.basicUser, PasswordFile: f.basicPasswordFile}
	}
	if f.bearerTokenFile != "" {
		cfg.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: f.bearerTokenFile}
	}
	if err := cfg.Validate(); err != nil {
		return nil, "", err
	}
	// No redirect is followed: the credentials go to the URL given only.
	cfg.FollowRedirects = false
	client, err := promconfig.NewClientFromConfig(cfg, "kpi-collector-report")
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), reportURLTimeout)
	base.Path = strings.TrimSuffix(base.Path, "/") + path
	base.RawQuery = query.Encode()
	where := base.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String(), nil)
	if err != nil {
		cancel()
		return nil, "", err
	}
	req.Header.Set("Accept", mediaType)
	resp, err := client.Do(req)
	if err != nil {
		cancel()
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, "", fmt.Errorf("%s could not be read: %w", where, err)
	}
	got, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		err = fmt.Errorf("%s answered 401: give --basic-auth-user and --basic-auth-password-file (or --bearer-token-file)", where)
	case resp.StatusCode != http.StatusOK:
		err = fmt.Errorf("%s answered %s", where, resp.Status)
	case got != mediaType:
		err = fmt.Errorf("%s answered %s, not %s: is --url the collector's base URL?", where, got, mediaType)
	}
	if err != nil {
		_ = resp.Body.Close()
		cancel()
		return nil, "", err
	}
	return &cancelOnClose{ReadCloser: resp.Body, cancel: cancel}, where, nil
}

// cancelOnClose ends a request's context once its body is closed.
type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c *cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
