package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Token is an access token a channel minted with its refresh token, and the
// refresh token to mint the next one with. They are secrets: the store
// keeps them so that a restart does not mint another, and nothing prints
// them.
type Token struct {
	AccessToken   string
	Expiry        time.Time
	RefreshToken  string
	RefreshExpiry time.Time // zero: not said
}

// LoadToken returns the token a channel keeps for grant; false where it
// keeps none, or one of another grant (a refresh token authorized anew).
func (s *Store) LoadToken(ctx context.Context, channel, grant string) (Token, bool, error) {
	var t Token
	var kept string
	var expiry, refreshExpiry int64
	err := s.db.QueryRowContext(ctx, `SELECT grant_id, access_token, expiry_ms, refresh_token, refresh_expiry_ms FROM channel_tokens WHERE channel = ?`, channel).
		Scan(&kept, &t.AccessToken, &expiry, &t.RefreshToken, &refreshExpiry)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && kept != grant) {
		return Token{}, false, nil
	}
	if err != nil {
		return Token{}, false, fmt.Errorf("reading the token of %s: %w", channel, err)
	}
	t.Expiry, t.RefreshExpiry = fromMillis(expiry), fromMillis(refreshExpiry)
	return t, true, nil
}

// SaveToken keeps a channel's token for grant, replacing what it kept.
func (s *Store) SaveToken(ctx context.Context, channel, grant string, t Token) error {
	_, err := s.exec(ctx, `INSERT INTO channel_tokens (channel, grant_id, access_token, expiry_ms, refresh_token, refresh_expiry_ms) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel) DO UPDATE SET grant_id = excluded.grant_id, access_token = excluded.access_token, expiry_ms = excluded.expiry_ms,
			refresh_token = excluded.refresh_token, refresh_expiry_ms = excluded.refresh_expiry_ms`,
		channel, grant, t.AccessToken, toMillis(t.Expiry), t.RefreshToken, toMillis(t.RefreshExpiry))
	if err != nil {
		return fmt.Errorf("keeping the token of %s: %w", channel, err)
	}
	return nil
}

// CredentialCheck is what a channel's API last said of when its credential
// ends.
type CredentialCheck struct {
	Checked time.Time
	Ends    time.Time // zero with Never
	Never   bool
	What    string
	Dead    string
}

// SaveCredentialCheck keeps a channel's latest credential check.
func (s *Store) SaveCredentialCheck(ctx context.Context, channel string, c CredentialCheck) error {
	never := 0
	if c.Never {
		never = 1
	}
	_, err := s.exec(ctx, `INSERT INTO credential_checks (channel, checked_ms, ends_ms, never, what, dead) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (channel) DO UPDATE SET checked_ms = excluded.checked_ms, ends_ms = excluded.ends_ms, never = excluded.never, what = excluded.what, dead = excluded.dead`,
		channel, toMillis(c.Checked), toMillis(c.Ends), never, c.What, c.Dead)
	if err != nil {
		return fmt.Errorf("keeping the credential check of %s: %w", channel, err)
	}
	return nil
}

// CredentialChecks are the latest credential checks, by channel.
func (s *Store) CredentialChecks(ctx context.Context) (map[string]CredentialCheck, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT channel, checked_ms, ends_ms, never, what, dead FROM credential_checks`)
	if err != nil {
		return nil, fmt.Errorf("reading the credential checks: %w", err)
	}
	defer rows.Close()
	out := map[string]CredentialCheck{}
	for rows.Next() {
		var channel string
		var checked, ends, never int64
		var c CredentialCheck
		if err := rows.Scan(&channel, &checked, &ends, &never, &c.What, &c.Dead); err != nil {
			return nil, fmt.Errorf("reading the credential checks: %w", err)
		}
		c.Checked, c.Ends, c.Never = fromMillis(checked), fromMillis(ends), never == 1
		out[channel] = c
	}
	return out, rows.Err()
}

func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}
