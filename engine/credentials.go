package engine

import (
	"context"
	"errors"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
	"github.com/kpi-collector/kpi-collector/internal/redact"
	"github.com/kpi-collector/kpi-collector/snapshot"
	"github.com/kpi-collector/kpi-collector/store"
)

// CredentialCheckInterval is how often a channel's API is asked when its
// credential ends: at most daily, after a run, so that the answer is
// weeks ahead of the end and the check never delays a reading.
const CredentialCheckInterval = 24 * time.Hour

// checkCredential asks the channel's API when its credential ends, where
// its collector can and the last ask is a day old. It runs after the run's
// readings are stored; a failure is logged and counted, and changes no
// reading and no run's success.
func (e *Engine) checkCredential(ctx context.Context, ch *config.Channel, b builtCollector) {
	checker, ok := b.collector.(collectors.CredentialChecker)
	if !ok {
		return
	}
	now := e.now()
	e.mu.Lock()
	h := e.healthOf(ch.Name)
	due := h.credentialAsked.IsZero() || now.Sub(h.credentialAsked) >= CredentialCheckInterval || now.Before(h.credentialAsked)
	if due {
		h.credentialAsked = now
	}
	e.mu.Unlock()
	if !due {
		return
	}
	checkCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ch.Timeout)
	exp, known, err := checker.CheckCredential(checkCtx)
	cancel()
	if err == nil && known {
		saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		if serr := e.store.SaveCredentialCheck(saveCtx, ch.Name, store.CredentialCheck{Checked: now, Ends: exp.Ends, Never: exp.Never, What: exp.What, Dead: exp.Dead}); serr != nil {
			e.logger.Warn("keeping the credential check in the store failed; it is shown until a restart", "channel", ch.Name, "err", serr)
		}
		cancel()
	}
	e.mu.Lock()
	h = e.healthOf(ch.Name)
	switch {
	case err != nil:
		h.credentialFailures++
	case known:
		h.credential = &snapshot.Credential{Ends: exp.Ends, Never: exp.Never, What: exp.What, Dead: exp.Dead, Checked: now}
	default:
		h.credential = nil
	}
	e.publishHealthLocked(ctx)
	e.mu.Unlock()
	switch {
	case err != nil:
		msg := redact.New(e.secrets()...).String(err.Error())
		e.logger.Warn("asking the API when the channel's credential ends failed; the readings are not affected", "channel", ch.Name, "err", errors.New(msg))
	case known && exp.Dead != "":
		e.logger.Warn("the channel's credential no longer works", "channel", ch.Name, "credential", exp.What, "why", exp.Dead)
	case known && !exp.Never:
		e.logger.Info("asked when the channel's credential ends", "channel", ch.Name, "credential", exp.What, "ends", exp.Ends.UTC().Format(time.RFC3339))
	}
}

// secrets is every secret the config holds and every one the channels'
// collectors minted, for masking.
func (e *Engine) secrets() []string {
	out := e.cfg.Load().Secrets()
	var holders []collectors.SecretHolder
	e.mu.Lock()
	for _, b := range e.collectors {
		if h, ok := b.collector.(collectors.SecretHolder); ok {
			holders = append(holders, h)
		}
	}
	e.mu.Unlock()
	// Asked without mu: a collector minting a token holds its own lock
	// while its request is counted under mu.
	for _, h := range holders {
		out = append(out, h.MintedSecrets()...)
	}
	return out
}

// APIVersionOf is the channel's API version and its end, for types with
// versions (nil for the others).
func APIVersionOf(ch *config.Channel) *snapshot.APIVersion {
	v, ok := collectors.VersionEndOf(ch)
	if !ok {
		return nil
	}
	return &snapshot.APIVersion{Version: v.Version, Ends: v.Ends, Source: v.Source}
}

// CredentialOf is a credential check kept in the store, as snapshots show
// it.
func CredentialOf(c store.CredentialCheck) *snapshot.Credential {
	return &snapshot.Credential{Ends: c.Ends, Never: c.Never, What: c.What, Dead: c.Dead, Checked: c.Checked}
}

// storeTokens keeps the tokens channels mint in the store (see
// collectors.TokenKeeper).
type storeTokens struct{ st *store.Store }

// LoadToken returns the token the store keeps for the channel's grant.
func (k storeTokens) LoadToken(ctx context.Context, channel, grant string) (collectors.MintedToken, bool, error) {
	t, ok, err := k.st.LoadToken(ctx, channel, grant)
	if err != nil || !ok {
		return collectors.MintedToken{}, false, err
	}
	return collectors.MintedToken{AccessToken: config.Secret(t.AccessToken), Expiry: t.Expiry,
		RefreshToken: config.Secret(t.RefreshToken), RefreshExpiry: t.RefreshExpiry}, true, nil
}

// SaveToken keeps the channel's token for its grant.
func (k storeTokens) SaveToken(ctx context.Context, channel, grant string, t collectors.MintedToken) error {
	return k.st.SaveToken(ctx, channel, grant, store.Token{AccessToken: t.AccessToken.Reveal(), Expiry: t.Expiry,
		RefreshToken: t.RefreshToken.Reveal(), RefreshExpiry: t.RefreshExpiry})
}
