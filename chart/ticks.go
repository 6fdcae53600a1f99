package chart

import (
	"math"
	"strconv"
	"sync"
	"time"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// valueTicks covers lo..hi with about n round steps (1, 2 or 5 times a power
// of ten), returning the ticks from the first at or under lo to the first at
// or over hi, and the step.
func valueTicks(lo, hi float64, n int) ([]float64, float64) {
	if hi-lo <= 0 || math.IsInf(hi-lo, 0) {
		// One value: a band around it, from 0 where it is positive.
		switch {
		case lo > 0:
			lo, hi = 0, hi*1.2
		case lo < 0:
			lo, hi = lo*1.2, 0
		default:
			lo, hi = 0, 1
		}
		if math.IsInf(hi-lo, 0) {
			lo, hi = lo/2, hi/2
		}
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag * 10
	for _, m := range []float64{1, 2, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	first, last := math.Floor(lo/step+1e-9), math.Ceil(hi/step-1e-9)
	if last-first > 40 { // a step lost to rounding: never draw a forest
		return []float64{lo, hi}, hi - lo
	}
	out := make([]float64, 0, int(last-first)+1)
	for i := first; i <= last; i++ {
		out = append(out, i*step)
	}
	if len(out) == 1 {
		out = append(out, out[0]+step)
	}
	return out, step
}

// tickLabel writes v as short as the step allows: 15k, 1.5M, 0.25, 1200.
func tickLabel(v, step float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6 && step >= 1e5:
		return trimmed(v/1e6, step/1e6) + "M"
	case a >= 1e4 && step >= 1e3:
		return trimmed(v/1e3, step/1e3) + "k"
	}
	return trimmed(v, step)
}

// targetLabel writes a milestone's target: 1200, 15k, 1.25M, 0.25.
func targetLabel(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(math.Round(v/1e4)/100, 'f', -1, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(math.Round(v/1e2)/10, 'f', -1, 64) + "k"
	}
	return valueText(v)
}

// trimmed writes v with as many decimals as step needs.
func trimmed(v, step float64) string {
	decimals := 0
	if step > 0 && step < 1 {
		decimals = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	return strconv.FormatFloat(v, 'f', min(decimals, 6), 64)
}

// tick is a date on the time axis.
type tick struct {
	t     time.Time
	label string
}

// timeTicks are the round dates from from to to, in loc, at most n of them
// (at least one): days, weeks (Mondays), months, quarters, half years or
// years, whichever is the finest that fits. A month's label names the year
// at the first tick and each January.
func timeTicks(from, to time.Time, loc *time.Location, n int) []tick {
	n = max(n, 2)
	type unit struct {
		days, months int
	}
	for _, u := range []unit{{1, 0}, {2, 0}, {7, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 6}, {0, 12}, {0, 24}, {0, 60}} {
		var out []tick
		first := true
		label := func(t time.Time) string {
			if u.months == 0 {
				return t.Format("Jan 2")
			}
			if first || t.Month() == time.January {
				if u.months >= 12 {
					return t.Format("2006")
				}
				return t.Format("Jan 2006")
			}
			return t.Format("Jan")
		}
		f := from.In(loc)
		var t time.Time
		switch {
		case u.months == 0:
			t = time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, loc)
			if u.days == 7 {
				t = t.AddDate(0, 0, (8-int(t.Weekday()))%7)
			}
		default:
			m := (int(f.Month()) - 1) / u.months * u.months
			t = time.Date(f.Year(), time.Month(m+1), 1, 0, 0, 0, 0, loc)
		}
		for i := 0; !t.After(to) && len(out) <= n; i++ {
			if !t.Before(from) {
				out = append(out, tick{t, label(t)})
				first = false
			}
			if u.months == 0 {
				t = t.AddDate(0, 0, u.days)
			} else {
				t = t.AddDate(0, u.months, 0)
			}
		}
		if len(out) <= n {
			return out
		}
	}
	return []tick{{from, from.In(loc).Format("2006")}}
}

// The Go fonts: the PNG is drawn with them, and the layout measures every
// label with them, for the SVG too (a browser's sans-serif is close).
var (
	fontsOnce         sync.Once
	regular, boldFont *opentype.Font
	facesMu           sync.Mutex
	faces             = map[faceKey]font.Face{}
)

type faceKey struct {
	size float64
	bold bool
}

func loadFonts() {
	fontsOnce.Do(func() {
		var err error
		if regular, err = opentype.Parse(goregular.TTF); err != nil {
			panic("chart: the embedded Go font does not parse: " + err.Error())
		}
		if boldFont, err = opentype.Parse(gobold.TTF); err != nil {
			panic("chart: the embedded Go font does not parse: " + err.Error())
		}
	})
}

// face is the Go font at size pixels, shared: a face is safe for one
// goroutine at a time, so callers hold facesMu while they use it.
func face(size float64, bold bool) font.Face {
	loadFonts()
	k := faceKey{size, bold}
	if f, ok := faces[k]; ok {
		return f
	}
	src := regular
	if bold {
		src = boldFont
	}
	f, err := opentype.NewFace(src, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		panic("chart: a face of the embedded Go font: " + err.Error())
	}
	faces[k] = f
	return f
}

// textWidth is the width of s at size pixels.
func textWidth(s string, size float64, bold bool) float64 {
	facesMu.Lock()
	defer facesMu.Unlock()
	return fixedFloat(font.MeasureString(face(size, bold), s))
}

func fixedFloat(v fixed.Int26_6) float64 { return float64(v) / 64 }
