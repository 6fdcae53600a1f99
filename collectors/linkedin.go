package collectors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kpi-collector/kpi-collector/config"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

func init() {
	register("linkedin", Spec{
		TypeSpec: config.TypeSpec{
			Metrics:            []string{"followers"},
			Credentials:        []string{"access_token"},
			Options:            []string{"version", "concurrency"},
			DefaultSchedule:    "@every 12h", // daily limits, unpublished, reset at 00:00 UTC
			DefaultTimeout:     time.Minute,
			DefaultConcurrency: 1, // daily limits, unpublished
			AccountCheck:       checkLinkedInAccount,
			OptionCheck:        checkLinkedInOptions,
		},
		New: newLinkedIn,
	})
}

// DefaultLinkedInVersion is the LinkedIn-Version header sent unless the
// channel sets `version:`. LinkedIn serves each monthly version for about a
// year; a retired one answers 426.
const DefaultLinkedInVersion = "202610"

var linkedInOrg = regexp.MustCompile(`^(urn:li:organization:)?[0-9]+$`)

func checkLinkedInAccount(s string) error {
	if !linkedInOrg.MatchString(s) {
		return errors.New("must be an organization id (1234567) or URN (urn:li:organization:1234567)")
	}
	return nil
}

// linkedIn reads an organization's follower count from the Community
// Management API's networkSizes, one organization a call.
type linkedIn struct {
	env     Env
	base    string
	version string
	header  http.Header
}

func newLinkedIn(env Env) (Collector, error) {
	l := &linkedIn{env: env, base: env.Channel.APIURL, version: env.Channel.Version, header: http.Header{}}
	if l.base == "" {
		l.base = "https://api.linkedin.com"
	}
	if l.version == "" {
		l.version = DefaultLinkedInVersion
	}
	l.header.Set("Authorization", "Bearer "+env.Channel.Credentials.Get("access_token").Reveal())
	l.header.Set("LinkedIn-Version", l.version)
	l.header.Set("X-Restli-Protocol-Version", "2.0.0")
	return l, nil
}

// Collect reads every account; see Collector.
func (l *linkedIn) Collect(ctx context.Context, accounts []string) Result {
	return EachBatch(ctx, accounts, 1, l.env.Channel.Concurrency, func(ctx context.Context, batch []string) Result {
		var res Result
		account := batch[0]
		urn := account
		if !strings.HasPrefix(urn, "urn:") {
			urn = "urn:li:organization:" + urn
		}
		u := strings.TrimSuffix(l.base, "/") + "/rest/networkSizes/" + strings.ReplaceAll(url.PathEscape(urn), ":", "%3A") + "?edgeType=COMPANY_FOLLOWED_BY_MEMBER"
		var body struct {
			FirstDegreeSize *int64 `json:"firstDegreeSize"`
		}
		err := GetJSON(ctx, l.env.Client, u, l.header, &body, classifyLinkedIn)
		var e *Error
		if errors.As(err, &e) && e.Reason == Version {
			e.Err = fmt.Errorf("LinkedIn no longer serves version %s; set channels.%s.version to a current month (YYYYMM): %w", l.version, l.env.Channel.Name, e.Err)
		}
		switch {
		case err != nil:
			res.fail(err, account)
		case body.FirstDegreeSize == nil:
			res.fail(Fail(Decode, errors.New("the answer has no firstDegreeSize")), account)
		default:
			res.add(account, "followers", float64(*body.FirstDegreeSize))
		}
		return res
	})
}

func classifyLinkedIn(se *StatusError) Reason {
	var body struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(se.Body, &body)
	switch body.Code {
	case "NONEXISTENT_VERSION", "VERSION_MISSING":
		return Version
	case "INVALID_ACCESS_TOKEN", "ACCESS_DENIED", "REVOKED_ACCESS_TOKEN", "EXPIRED_ACCESS_TOKEN":
		return Auth
	case "NOT_FOUND":
		return NotFound
	}
	return ReasonForStatus(se.Code)
}
