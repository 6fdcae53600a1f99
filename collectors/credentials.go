package collectors

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kpi-collector/kpi-collector/config"
)

// Credentials age: a token runs out, a grant must be renewed by a person,
// an API version is retired. What the APIs say of it is gathered here, so
// that the engine can publish it weeks ahead (kpi_credential_expiry_
// timestamp_seconds, kpi_api_version_end_timestamp_seconds) instead of
// finding out from a failed run.

// CredentialExpiry is what an API says of when a channel's credential ends.
type CredentialExpiry struct {
	// Ends is when the credential a person must renew stops working; zero
	// when it never does (Never).
	Ends  time.Time
	Never bool
	// What names the credential that ends ("the refresh token", "the
	// access token's data access"), for the status page and `collector
	// check`.
	What string
	// Dead, where set, is the API's word that the credential no longer
	// works at all ("revoked", "not active"); Ends is then the check's time
	// unless the API gave an earlier end.
	Dead string
}

// CredentialChecker is a collector that can ask its API when its credential
// ends. The engine asks at most daily, after a run, so that the check never
// costs a reading.
type CredentialChecker interface {
	// CheckCredential returns the credential's end; ok is false where the
	// channel's credentials give nothing to ask with (a plain LinkedIn
	// token without its app's client id and secret).
	CheckCredential(ctx context.Context) (exp CredentialExpiry, ok bool, err error)
}

// SecretHolder is a collector that holds secrets the config does not know
// (access tokens it minted): the engine masks them in every error text, as
// it does the config's.
type SecretHolder interface {
	MintedSecrets() []string
}

// MintedToken is an access token a channel minted with its refresh token,
// and the refresh token to mint the next one with.
type MintedToken struct {
	AccessToken config.Secret
	// Expiry is when the access token ends.
	Expiry       time.Time
	RefreshToken config.Secret
	// RefreshExpiry is when the refresh token ends (zero: not said).
	RefreshExpiry time.Time
}

// TokenKeeper keeps the tokens a channel minted, so that a restart uses
// them rather than minting others. Grant tells apart the grants a channel
// was configured with: a refresh token authorized anew (a new grant)
// does not find the tokens of the old one.
type TokenKeeper interface {
	LoadToken(ctx context.Context, channel, grant string) (MintedToken, bool, error)
	SaveToken(ctx context.Context, channel, grant string, t MintedToken) error
}

// GrantOf names a grant by its client id and refresh token as configured,
// without revealing either: the hex SHA-256 of both.
func GrantOf(clientID, refreshToken config.Secret) string {
	sum := sha256.Sum256([]byte(clientID.Reveal() + "\x00" + refreshToken.Reveal()))
	return hex.EncodeToString(sum[:16])
}

// MemoryTokens is a TokenKeeper in memory: for a collector built without a
// store (tests, tools), where a restart mints anew.
type MemoryTokens struct {
	mu sync.Mutex
	m  map[[2]string]MintedToken
}

// LoadToken returns what SaveToken kept.
func (k *MemoryTokens) LoadToken(_ context.Context, channel, grant string) (MintedToken, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	t, ok := k.m[[2]string{channel, grant}]
	return t, ok, nil
}

// SaveToken keeps t.
func (k *MemoryTokens) SaveToken(_ context.Context, channel, grant string, t MintedToken) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[[2]string]MintedToken{}
	}
	k.m[[2]string{channel, grant}] = t
	return nil
}

// VersionEnd is when the API version a channel asks for is retired.
type VersionEnd struct {
	Version string
	// Ends is when the version is retired (zero: not announced).
	Ends time.Time
	// Source says where Ends comes from: the vendor's table, its rule, or
	// the channel's version_end.
	Source string
}

// VersionEndOf is the end of the API version a channel asks for; ok is
// false for a type without versions.
func VersionEndOf(ch *config.Channel) (VersionEnd, bool) {
	t, found := registry[ch.Type]
	if !found || t.VersionEnd == nil {
		return VersionEnd{}, false
	}
	return t.VersionEnd(ch), true
}

// utcDay is 00:00 UTC of d: a version retired on d is taken as gone from
// the day's start, the earliest the vendor could mean.
func utcDay(d config.Date) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
}
