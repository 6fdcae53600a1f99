// Package memlimit sets Go's soft memory limit from the memory limit of
// the container the process runs in, as Prometheus 3 does: without it a
// container limited to 256 MiB runs a garbage collector that knows nothing
// of the limit, lets the heap grow to twice the live data, and can be
// killed for it; with it the collector works harder as the heap nears the
// limit instead. The limit is read from the process's cgroup (v2 or v1) by
// github.com/KimMachineGun/automemlimit.
package memlimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime/debug"

	automemlimit "github.com/KimMachineGun/automemlimit/memlimit"
)

// DefaultRatio is the share of the container's limit given to Go's heap
// and runtime by default: the rest is for what Go does not count (the
// binary's mapped pages, SQLite's own memory, stacks the kernel sees).
const DefaultRatio = 0.9

// Outcome is what Set did, for the log.
type Outcome struct {
	// Limit is the soft limit set, in bytes; 0 where Set set none.
	Limit int64
	// Container is the container's memory limit, in bytes; 0 where none
	// was found.
	Container uint64
	// Env is GOMEMLIMIT as the environment gives it, where it is set (it
	// then wins, and Set changes nothing).
	Env string
	// Off says the ratio was 0: Set was asked to do nothing.
	Off bool
	// Err is why no container limit was read, where one was looked for.
	Err error
}

// Set sets Go's soft memory limit to ratio (from 0 to 1) times the
// process's cgroup memory limit, unless ratio is 0 (off) or GOMEMLIMIT is
// set in the environment (an explicit limit wins), or the process has no
// cgroup limit.
func Set(ratio float64) (Outcome, error) {
	return set(ratio, os.Getenv("GOMEMLIMIT"), automemlimit.FromCgroup)
}

// set is Set with the environment's GOMEMLIMIT and the cgroup's limit given.
func set(ratio float64, env string, container func() (uint64, error)) (Outcome, error) {
	if math.IsNaN(ratio) || ratio < 0 || ratio > 1 {
		return Outcome{}, fmt.Errorf("--auto-gomemlimit.ratio %v is not from 0 to 1", ratio)
	}
	switch {
	case env != "":
		return Outcome{Env: env}, nil
	case ratio == 0:
		return Outcome{Off: true}, nil
	}
	limit, err := container()
	if errors.Is(err, automemlimit.ErrNoLimit) || err == nil && limit == 0 {
		return Outcome{}, nil
	}
	if err != nil {
		return Outcome{Err: err}, nil
	}
	soft := int64(math.MaxInt64)
	if f := float64(limit) * ratio; f < float64(math.MaxInt64) {
		soft = int64(f)
	}
	debug.SetMemoryLimit(soft)
	return Outcome{Limit: soft, Container: limit}, nil
}

// Log says what Set did: at level where it set a limit or found one set in
// the environment (the daemon says it at info level, a short-lived
// sub-command at debug level), at debug level otherwise.
func (o Outcome) Log(logger *slog.Logger, level slog.Level, ratio float64) {
	ctx := context.Background()
	switch {
	case o.Env != "":
		logger.Log(ctx, level, "Go's memory limit is GOMEMLIMIT from the environment", "GOMEMLIMIT", o.Env)
	case o.Off:
		logger.Debug("Go's memory limit is not set from the container's: --auto-gomemlimit.ratio is 0")
	case o.Limit > 0:
		logger.Log(ctx, level, "Go's memory limit set from the container's", "GOMEMLIMIT", o.Limit, "container_limit", o.Container, "ratio", ratio)
	case o.Err != nil:
		logger.Debug("Go's memory limit is not set: the container's memory limit could not be read", "err", o.Err)
	default:
		logger.Debug("Go's memory limit is not set: the container has no memory limit")
	}
}
