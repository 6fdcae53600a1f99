package config

import (
	"fmt"
	"math"
	"strconv"
)

// ResolutionWarnings finds milestone targets finer than the API shows the
// count: YouTube rounds subscriber counts above 1,000 to three significant
// figures, so +50 on a channel of 123,000 is never seen as such. latest gives
// an account's latest reading where one is known (the store's); without it a
// total target's own size is used, and a growth target is not judged. The
// file still loads: these are warnings, each with its line.
func ResolutionWarnings(cfg *Config, types Types, latest func(channel, account, metric string) (float64, bool)) Problems {
	var out Problems
	for _, k := range cfg.KPIs {
		ch := cfg.Channels[k.Channel]
		if ch == nil {
			continue
		}
		spec := types[ch.Type]
		if spec.Resolution == nil {
			continue
		}
		size, known := 0.0, false
		if latest != nil {
			size, known = latest(k.Channel, k.Account, k.Metric)
		}
		prev := 0.0
		if k.Baseline != nil {
			prev = *k.Baseline
		}
		for _, m := range k.Milestones {
			at := size
			if !known {
				if k.Count != "total" {
					break
				}
				at = m.Target
			}
			step := spec.Resolution(k.Metric, at)
			rise := m.Target - prev
			prev = m.Target
			if step <= 1 {
				continue
			}
			var fine bool
			if k.Count == "total" {
				fine = math.Mod(m.Target, step) != 0
			} else {
				fine = rise < step || math.Mod(m.Target, step) != 0
			}
			if fine {
				out = append(out, Problem{File: cfg.File, Line: m.Line, Msg: fmt.Sprintf(
					"kpis.%s: target %s (due %s) is finer than the API shows a count of about %s: in steps of %s (%s); it is seen only when the count crosses a step",
					k.Name, plainNumber(m.Target), m.Due, plainNumber(at), plainNumber(step), spec.ResolutionNote)})
			}
		}
	}
	return out
}

func plainNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
