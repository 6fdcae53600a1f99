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

	"github.com/kpi-collector/kpi-collector/report"
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

// runReportURL prints the plan as a running collector's JSON API shows it,
// with no config, store or API secret.
func runReportURL(f reportFlags) int {
	switch {
	case f.at != "":
		fmt.Fprintln(stderr, "collector report: --at needs the store; a running collector reports as of now")
		return 2
	case f.suggest:
		fmt.Fprintln(stderr, "collector report: --suggest needs the store; it cannot be read from --url")
		return 2
	case f.format == "html":
		// The charts need each KPI's milestones and values over the plan,
		// which the JSON API does not carry.
		fmt.Fprintln(stderr, "collector report: --format=html needs the store (its charts draw each KPI's values over the plan); it cannot be read from --url")
		return 2
	}
	doc, err := fetchReport(f.url)
	if err != nil {
		fmt.Fprintf(stderr, "collector report: %v\n", err)
		return 1
	}
	switch f.format {
	case "csv":
		err = report.WriteCSV(stdout, doc)
	case "json":
		err = report.WriteJSON(stdout, doc)
	case "markdown":
		err = report.WriteMarkdown(stdout, doc)
	default:
		err = report.WriteTable(stdout, doc, isTerminal(stdout))
	}
	if err != nil {
		fmt.Fprintf(stderr, "collector report: %v\n", err)
		return 1
	}
	if doc.Partial {
		for _, m := range doc.Missing {
			fmt.Fprintf(stderr, "collector report: the plan is partial: shard %d (%d KPIs) is missing: %s\n", m.Shard, m.KPIs, m.Error)
		}
		return exitPartial
	}
	return 0
}

// fetchReport reads a running collector's /api/v1/kpis.
func fetchReport(f urlFlags) (report.Document, error) {
	var doc report.Document
	base, err := url.Parse(f.url)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return doc, fmt.Errorf("--url %q is not an http or https URL", f.url)
	}
	cfg := promconfig.HTTPClientConfig{TLSConfig: f.tls}
	if f.basicUser != "" || f.basicPasswordFile != "" {
		cfg.BasicAuth = &promconfig.BasicAuth{Username: f.basicUser, PasswordFile: f.basicPasswordFile}
	}
	if f.bearerTokenFile != "" {
		cfg.Authorization = &promconfig.Authorization{Type: "Bearer", CredentialsFile: f.bearerTokenFile}
	}
	if err := cfg.Validate(); err != nil {
		return doc, err
	}
	// No redirect is followed: the credentials go to the URL given only.
	cfg.FollowRedirects = false
	client, err := promconfig.NewClientFromConfig(cfg, "kpi-collector-report")
	if err != nil {
		return doc, err
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), reportURLTimeout)
	defer cancel()
	base.Path = strings.TrimSuffix(base.Path, "/") + "/api/v1/kpis"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base.String(), nil)
	if err != nil {
		return doc, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return doc, fmt.Errorf("%s could not be read: %w", redactedURL(base), err)
	}
	defer resp.Body.Close()
	mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return doc, fmt.Errorf("%s answered 401: give --basic-auth-user and --basic-auth-password-file (or --bearer-token-file)", redactedURL(base))
	case resp.StatusCode != http.StatusOK:
		return doc, fmt.Errorf("%s answered %s", redactedURL(base), resp.Status)
	case mediaType != "application/json":
		return doc, fmt.Errorf("%s answered %s, not the JSON API: is --url the collector's base URL?", redactedURL(base), mediaType)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<30)).Decode(&doc); err != nil {
		return doc, fmt.Errorf("%s's answer is not the JSON API's: %w", redactedURL(base), err)
	}
	if doc.Plan.Name == "" || doc.KPIs == nil {
		return doc, fmt.Errorf("%s's answer has no plan: is --url the collector's base URL?", redactedURL(base))
	}
	return doc, nil
}

// redactedURL is a URL without a password it may carry.
func redactedURL(u *url.URL) string { return u.Redacted() }
