package idempotency

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// A key is kept a day by the clock, then forgotten; a forgotten claim lets
// a retry be done anew.
func TestKeysOverMonths(t *testing.T) {
	now := time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC)
	k := New(24*time.Hour, func() time.Time { return now })
	body := []byte(`{"channel":"offline","metric":"relationships","add":1}`)

	c, replay, err := k.Begin("a", body)
	if err != nil || replay != nil || c == nil {
		t.Fatalf("first: %v %v %v", c, replay, err)
	}
	if _, _, err := k.Begin("a", body); !errors.Is(err, ErrInFlight) {
		t.Errorf("while in flight: %v", err)
	}
	c.Keep(Answer{Code: 200, Body: []byte(`{"value":1}`)})
	if _, _, err := k.Begin("a", []byte(`{"add":2}`)); !errors.Is(err, ErrReused) {
		t.Errorf("another body: %v", err)
	}
	now = now.Add(23 * time.Hour)
	if _, replay, err := k.Begin("a", body); err != nil || replay == nil || string(replay.Body) != `{"value":1}` {
		t.Errorf("a retry within the day: %v %v", replay, err)
	}

	c2, _, err := k.Begin("b", body)
	if err != nil {
		t.Fatal(err)
	}
	c2.Forget()
	if c, replay, err := k.Begin("b", body); err != nil || replay != nil || c == nil {
		t.Errorf("after a forgotten claim: %v %v %v", c, replay, err)
	} else {
		c.Keep(Answer{Code: 200})
	}

	now = now.Add(time.Hour + time.Second) // a's day is over, b's is not
	if c, replay, err := k.Begin("a", body); err != nil || replay != nil || c == nil {
		t.Errorf("after a day: %v %v %v", c, replay, err)
	}
	if k.Len() != 2 {
		t.Errorf("%d keys kept, want 2", k.Len())
	}
	for range 90 { // three months of a key an hour
		now = now.Add(time.Hour)
		c, _, err := k.Begin(now.Format(time.RFC3339), body)
		if err != nil {
			t.Fatal(err)
		}
		c.Keep(Answer{Code: 200})
	}
	for day := 0; day < 90; day++ {
		now = now.Add(24 * time.Hour)
		c, _, err := k.Begin(now.Format(time.RFC3339), body)
		if err != nil {
			t.Fatal(err)
		}
		c.Keep(Answer{Code: 200})
		if n := k.Len(); n > 2 {
			t.Fatalf("day %d: %d keys kept, want at most a day's", day, n)
		}
	}
}

func TestKeyShape(t *testing.T) {
	k := New(time.Hour, time.Now)
	for _, key := range []string{"", strings.Repeat("x", MaxKeyLength+1), "a b", "\x1b[2J", "ключ"} {
		if _, _, err := k.Begin(key, nil); !errors.Is(err, ErrBadKey) {
			t.Errorf("%q: %v", key, err)
		}
	}
	if _, _, err := k.Begin("8e03978e-40d5-43e8-bc93-6894a57f9324", nil); err != nil {
		t.Error(err)
	}
}
