package memlimit

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"runtime/debug"
	"strings"
	"testing"

	automemlimit "github.com/KimMachineGun/automemlimit/memlimit"
)

func TestSet(t *testing.T) {
	const mib = 1 << 20
	limited := func(n uint64) func() (uint64, error) { return func() (uint64, error) { return n, nil } }
	failing := func(err error) func() (uint64, error) { return func() (uint64, error) { return 0, err } }
	for _, tc := range []struct {
		name      string
		ratio     float64
		env       string
		container func() (uint64, error)
		want      int64 // the soft limit afterwards; -1: left as it was
		log       string
		wantErr   bool
	}{
		{"the default ratio of 256 MiB", DefaultRatio, "", limited(256 * mib), 241591910, `level=INFO msg="Go's memory limit set from the container's" GOMEMLIMIT=241591910 container_limit=268435456 ratio=0.9`, false},
		{"a whole 1 GiB", 1, "", limited(1024 * mib), 1024 * mib, "GOMEMLIMIT=1073741824", false},
		{"half", 0.5, "", limited(512 * mib), 256 * mib, "GOMEMLIMIT=268435456", false},
		{"GOMEMLIMIT wins", DefaultRatio, "300MiB", limited(256 * mib), -1, `level=INFO msg="Go's memory limit is GOMEMLIMIT from the environment" GOMEMLIMIT=300MiB`, false},
		{"GOMEMLIMIT=off wins", DefaultRatio, "off", limited(256 * mib), -1, "GOMEMLIMIT=off", false},
		{"0 turns it off", 0, "", limited(256 * mib), -1, "ratio is 0", false},
		{"no container limit", DefaultRatio, "", failing(automemlimit.ErrNoLimit), -1, "the container has no memory limit", false},
		{"a limit too large to count", DefaultRatio, "", limited(math.MaxUint64), math.MaxInt64, "GOMEMLIMIT=9223372036854775807", false},
		{"no cgroup", DefaultRatio, "", failing(errors.New("no memory cgroup mounted")), -1, "could not be read", false},
		{"a ratio over 1", 1.5, "", limited(256 * mib), -1, "", true},
		{"a negative ratio", -0.1, "", limited(256 * mib), -1, "", true},
		{"NaN", math.NaN(), "", limited(256 * mib), -1, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const before = 123 * mib
			old := debug.SetMemoryLimit(before)
			defer debug.SetMemoryLimit(old)
			o, err := set(tc.ratio, tc.env, tc.container)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v", err)
			}
			want := tc.want
			if want == -1 {
				want = before
			}
			if got := debug.SetMemoryLimit(-1); got != want {
				t.Errorf("Go's memory limit is %d, want %d", got, want)
			}
			if tc.wantErr {
				return
			}
			var log bytes.Buffer
			o.Log(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			}})), slog.LevelInfo, tc.ratio)
			if !strings.Contains(log.String(), tc.log) || strings.Count(log.String(), "\n") != 1 {
				t.Errorf("log %q, want one line with %q", log.String(), tc.log)
			}
		})
	}
}
