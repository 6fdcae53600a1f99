// Package handclock is a clock tests move by hand. Its Now is what the
// engine, the collectors, the digests and the fake APIs take as their clock,
// so that one test runs all of them at the same moment, months apart if it
// likes; it is safe to read from their goroutines while the test moves it.
package handclock

import (
	"sync"
	"time"
)

// Clock is a moment that moves only when Set or Add moves it.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New is a clock standing at t.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's moment.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
