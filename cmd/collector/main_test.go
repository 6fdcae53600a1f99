package main

import (
	"testing"

	"github.com/kpi-collector/kpi-collector/engine"
	"github.com/kpi-collector/kpi-collector/store"
)

func TestOrdinal(t *testing.T) {
	for host, want := range map[string]int{"kpi-collector-2": 2, "kpi-collector-0": 0, "kpi-collector": -1, "web": -1, "a-b-10": 10} {
		if got := ordinal(host); got != want {
			t.Errorf("ordinal(%q) = %d, want %d", host, got, want)
		}
	}
}

// A forwarded recording is waited for longer than its owner may take to
// store and publish it.
func TestForwardOutlastsTheOwner(t *testing.T) {
	if got, owner := peerClient().Timeout, store.BusyTimeout+engine.RecordPublishWait; got <= owner {
		t.Errorf("forwarding waits %v, the owner up to %v", got, owner)
	}
}
