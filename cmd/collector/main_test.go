package main

import "testing"

func TestOrdinal(t *testing.T) {
	for host, want := range map[string]int{"kpi-collector-2": 2, "kpi-collector-0": 0, "kpi-collector": -1, "web": -1, "a-b-10": 10} {
		if got := ordinal(host); got != want {
			t.Errorf("ordinal(%q) = %d, want %d", host, got, want)
		}
	}
}
