package handclock

import (
	"sync"
	"testing"
	"time"
)

// The clock stands still until moved, and moves from any goroutine while
// others read it.
func TestClockMovesOnlyByHand(t *testing.T) {
	start := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	c := New(start)
	if !c.Now().Equal(start) {
		t.Fatalf("Now = %v, want %v", c.Now(), start)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				_ = c.Now()
			}
		})
	}
	for range 30 {
		c.Add(24 * time.Hour)
	}
	wg.Wait()
	if want := start.AddDate(0, 0, 30); !c.Now().Equal(want) {
		t.Errorf("after 30 days Now = %v, want %v", c.Now(), want)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Errorf("after Set Now = %v, want %v", c.Now(), start)
	}
}
