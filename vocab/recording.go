package vocab

import (
	"errors"
	"time"
)

// ManualReading is a value recorded by hand for a manual channel: what the
// status page's form, POST /api/v1/observations and `collector record` hand
// to the engine.
type ManualReading struct {
	Channel string
	Account string // may be empty where the channel has one account
	Metric  string
	Value   float64
	Add     bool // raise the latest reading by Value instead of setting it
	// Time is the moment the reading is about when Backdated (its author
	// gave it); otherwise it is filled in with now.
	Time      time.Time
	Backdated bool
}

// InputError is a recording refused for what it asks; callers answer it
// with a 4xx (HTTP) or exit 1 (CLI), quoting the message.
type InputError struct{ Msg string }

func (e *InputError) Error() string { return e.Msg }

// ErrWrongToken is a recording whose token is another manual channel's.
var ErrWrongToken = errors.New("the token given is not this channel's (its credentials.token)")
