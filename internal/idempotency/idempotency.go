// Package idempotency remembers, for a while, the answers given to requests
// that carried an idempotency key (the Idempotency-Key header of the IETF
// httpapi draft), so that a client that did not hear an answer may send the
// same request again and have it done once.
//
// The keys are kept in memory: a restart forgets them, and a request sent
// again after one is done again. It imports nothing of the module.
package idempotency

import (
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// MaxKeyLength bounds a key: a UUID is 36 characters.
const MaxKeyLength = 255

var (
	// ErrBadKey: empty, too long, or not printable ASCII.
	ErrBadKey = errors.New("an idempotency key is 1 to 255 printable ASCII characters, such as a UUID")
	// ErrInFlight: a request with the key is being done.
	ErrInFlight = errors.New("a request with this idempotency key is still being done; send it again in a moment")
	// ErrReused: the key came with another request before.
	ErrReused = errors.New("this idempotency key came with another request; a key is for one request and its retries")
)

// Answer is what was answered to the first request with a key.
type Answer struct {
	Code int
	Body []byte
}

// Keys remembers answers by key for a time to live.
type Keys struct {
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	byKey  map[string]*entry
	oldest []*entry // in the order they were claimed, for expiry
}

type entry struct {
	key     string
	request [sha256.Size]byte
	at      time.Time
	answer  *Answer // nil while in flight
}

// New keeps answers for ttl, by the clock now.
func New(ttl time.Duration, now func() time.Time) *Keys {
	return &Keys{ttl: ttl, now: now, byKey: map[string]*entry{}}
}

// Claim is a key claimed by a request: Keep its answer once done, or Forget
// the key where nothing was done (a refused request), so that a retry is
// done anew.
type Claim struct {
	k *Keys
	e *entry
}

// Begin claims key for a request (request is what identifies it, such as
// its body). It returns the answer to replay where the key was used for the
// same request before, or an error: ErrBadKey, ErrInFlight, ErrReused.
func (k *Keys) Begin(key string, request []byte) (*Claim, *Answer, error) {
	if !validKey(key) {
		return nil, nil, ErrBadKey
	}
	sum := sha256.Sum256(request)
	k.mu.Lock()
	defer k.mu.Unlock()
	k.expire()
	if e, ok := k.byKey[key]; ok {
		switch {
		case e.request != sum:
			return nil, nil, ErrReused
		case e.answer == nil:
			return nil, nil, ErrInFlight
		}
		return nil, e.answer, nil
	}
	e := &entry{key: key, request: sum, at: k.now()}
	k.byKey[key] = e
	k.oldest = append(k.oldest, e)
	return &Claim{k: k, e: e}, nil, nil
}

// Keep keeps the answer for the key's time to live.
func (c *Claim) Keep(a Answer) {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	c.e.answer = &a
}

// Forget lets the key go, as if it had not come.
func (c *Claim) Forget() {
	c.k.mu.Lock()
	defer c.k.mu.Unlock()
	if c.k.byKey[c.e.key] == c.e {
		delete(c.k.byKey, c.e.key)
	}
}

// Len is how many keys are kept.
func (k *Keys) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.expire()
	return len(k.byKey)
}

// expire drops the keys older than the time to live, oldest first (a key
// in flight that old is dropped too: its request is long over).
func (k *Keys) expire() {
	cutoff := k.now().Add(-k.ttl)
	n := 0
	for n < len(k.oldest) && !k.oldest[n].at.After(cutoff) {
		e := k.oldest[n]
		if k.byKey[e.key] == e {
			delete(k.byKey, e.key)
		}
		k.oldest[n] = nil
		n++
	}
	k.oldest = k.oldest[n:]
	if cap(k.oldest) > 64 && len(k.oldest) < cap(k.oldest)/4 {
		k.oldest = append([]*entry(nil), k.oldest...)
	}
}

func validKey(key string) bool {
	if key == "" || len(key) > MaxKeyLength {
		return false
	}
	for i := range len(key) {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}
