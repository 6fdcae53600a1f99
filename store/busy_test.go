package store

import (
	"fmt"
	"strings"
	"testing"
)

// BusyTimeout says what the connections are given: a replica forwarding a
// recording waits longer than this for its owner.
func TestBusyTimeoutIsThePragmas(t *testing.T) {
	if want := fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()); !strings.Contains(pragmas, want) {
		t.Errorf("pragmas %s do not set %s", pragmas, want)
	}
}
