package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kpi-collector/kpi-collector/digest"
	"github.com/kpi-collector/kpi-collector/vocab"
)

type digestFlags struct {
	name   string
	dryRun bool
}

// checkExternalURL refuses an --web.external-url that is not an absolute
// http or https URL: digests would carry links that lead nowhere.
func checkExternalURL(raw string) error {
	if raw == "" {
		return nil
	}
	if u, ok := vocab.WebURL(raw); !ok || u.User != nil {
		return fmt.Errorf("--web.external-url %q is not an http or https URL such as https://kpi.acme.example/", raw)
	}
	return nil
}

// digestOptions are the options every digest is made with.
func digestOptions(c *commonFlags) digest.Options {
	return digest.Options{ExternalURL: c.externalURL, Charts: digest.ChartPNG, Logger: c.logger}
}

// runDigest sends the named digest now and records it, or with --dry-run
// prints it and where it would go.
func runDigest(c *commonFlags, f digestFlags) int {
	if err := checkExternalURL(c.externalURL); err != nil {
		fmt.Fprintf(stderr, "collector digest: %v\n", err)
		return 2
	}
	now := time.Now()
	e, st, ok := openEngine(c, func() time.Time { return now }, f.dryRun)
	if !ok {
		return 1
	}
	defer st.Close()
	cfg := e.Config()
	d := cfg.Digests[f.name]
	if d == nil {
		names := slices.Sorted(maps.Keys(cfg.Digests))
		fmt.Fprintf(stderr, "collector digest: %s names no digest %q (it has: %s)\n", c.configFile, f.name, strings.Join(names, ", "))
		return 1
	}
	r := digest.NewRunner(cfg, e.Snapshot, st, digestOptions(c))
	ctx := context.Background()
	if f.dryRun {
		content, err := r.Preview(ctx, f.name)
		if err != nil {
			fmt.Fprintf(stderr, "collector digest: %v\n", err)
			return 1
		}
		fmt.Fprint(stdout, content.Text())
		fmt.Fprintln(stdout, "\nIt would go to:")
		for _, to := range digest.Destinations(d) {
			fmt.Fprintf(stdout, "  %s\n", to)
		}
		return 0
	}
	res, err := r.Send(ctx, f.name, now)
	for _, e := range res.Errors {
		fmt.Fprintf(stderr, "collector digest: %v\n", e)
	}
	if err != nil {
		if len(res.Errors) == 0 || !errors.Is(err, res.Errors[0]) {
			fmt.Fprintf(stderr, "collector digest: %v\n", err)
		}
		return 1
	}
	fmt.Fprintf(stdout, "Digest %s sent to %d destination(s).\n", f.name, len(digest.Destinations(d)))
	return 0
}
