package store

import (
	"context"
	"testing"
	"time"
)

// Layout 2 adds the minted tokens and the credential checks: a v0.1.0
// store migrated to it keeps a channel's token for its grant across a
// reopen, replaces it for a new grant, and keeps each channel's last check.
func TestTokensAndCredentialChecks(t *testing.T) {
	ctx := context.Background()
	dir := keptStore(t, "v0.1.0.db")
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := version(t, s); got != Layout() || Layout() < 2 {
		t.Fatalf("layout %d after migrating, want this release's (%d), which has the tokens' tables (2)", got, Layout())
	}
	if _, ok, err := s.LoadToken(ctx, "li", "g1"); ok || err != nil {
		t.Fatalf("a token before any was kept: %v %v", ok, err)
	}
	day := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	tok := Token{AccessToken: "AQV-1", Expiry: day.Add(60 * 24 * time.Hour), RefreshToken: "AQX-1", RefreshExpiry: day.Add(365 * 24 * time.Hour)}
	if err := s.SaveToken(ctx, "li", "g1", tok); err != nil {
		t.Fatal(err)
	}
	check := CredentialCheck{Checked: day, Ends: day.Add(300 * 24 * time.Hour), What: "the refresh token"}
	if err := s.SaveCredentialCheck(ctx, "li", check); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveCredentialCheck(ctx, "fb", CredentialCheck{Checked: day, Never: true, What: "the access token"}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, ok, err := s.LoadToken(ctx, "li", "g1")
	if err != nil || !ok || got.AccessToken != "AQV-1" || !got.Expiry.Equal(tok.Expiry) || got.RefreshToken != "AQX-1" || !got.RefreshExpiry.Equal(tok.RefreshExpiry) {
		t.Errorf("after a reopen: %+v %v %v", got, ok, err)
	}
	if _, ok, _ := s.LoadToken(ctx, "li", "g2"); ok {
		t.Error("a new grant found the old grant's token")
	}
	if err := s.SaveToken(ctx, "li", "g2", Token{AccessToken: "AQV-2", Expiry: day}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.LoadToken(ctx, "li", "g1"); ok {
		t.Error("the old grant's token outlived the new grant's")
	}
	checks, err := s.CredentialChecks(ctx)
	if err != nil || len(checks) != 2 || !checks["li"].Ends.Equal(check.Ends) || !checks["li"].Checked.Equal(day) || !checks["fb"].Never || checks["fb"].What != "the access token" {
		t.Errorf("checks: %+v %v", checks, err)
	}
}
