package plan

import (
	"slices"
	"sort"
	"time"

	"github.com/kpi-collector/kpi-collector/vocab"
)

// Compare says how a KPI sets its account against rivals (see
// vocab.Compare).
type Compare = vocab.Compare

// The comparisons.
const (
	Share = vocab.Share
	Lead  = vocab.Lead
	Pace  = vocab.Pace
)

// Versus is the series a KPI with rivals is judged on: at each of its own
// readings, its comparison with every rival's reading of that moment (the
// latest at or before it, no older than maxAge when maxAge > 0: rivals are
// read in the same runs as the account). A moment at which a rival has no
// such reading is left out: a share without one of the rivals is unknown,
// not computed from the others. So is a pace ratio where the rivals' median
// pace is not above 0 (no field to compare with), or where a pace is not
// known yet.
func Versus(compare Compare, own []Point, rivals [][]Point, maxAge time.Duration) []Point {
	if len(rivals) == 0 {
		return nil
	}
	out := make([]Point, 0, len(own))
	at := make([]float64, len(rivals))
	paces := make([]float64, len(rivals))
	for i, p := range own {
		known := true
		for j, r := range rivals {
			k := sort.Search(len(r), func(n int) bool { return r[n].Time.After(p.Time) }) - 1
			if k < 0 || (maxAge > 0 && p.Time.Sub(r[k].Time) > maxAge) {
				known = false
				break
			}
			at[j] = r[k].Value
			if compare == Pace {
				slope, ok := pace(r[:k+1])
				if !ok {
					known = false
					break
				}
				paces[j] = slope
			}
		}
		if !known {
			continue
		}
		switch compare {
		case Share:
			total := p.Value
			for _, v := range at {
				total += v
			}
			if total > 0 {
				out = append(out, Point{Time: p.Time, Value: p.Value / total})
			}
		case Lead:
			out = append(out, Point{Time: p.Time, Value: p.Value - slices.Max(at)})
		case Pace:
			mine, ok := pace(own[:i+1])
			field := median(paces)
			if ok && field > 0 {
				out = append(out, Point{Time: p.Time, Value: mine / field})
			}
		}
	}
	return out
}

// DailyGrowth is the recent pace of a scheduled channel's readings (see
// Evaluation.DailyGrowth): the slope per day of a least-squares line
// through the last PaceWindow, spread over a day where they span less.
func DailyGrowth(readings []Point) (float64, bool) { return pace(readings) }

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
