package engine

import (
	"context"
	"log/slog"
	"sync"

	"github.com/robfig/cron/v3"

	"github.com/kpi-collector/kpi-collector/config"
)

// Scheduler runs each scheduled channel on its cron spec, in the plan's
// timezone, and once at start. Runs never overlap (the engine's per-channel
// lock, plus cron's SkipIfStillRunning) and a panic in one is recovered.
type Scheduler struct {
	engine *Engine
	logger *slog.Logger

	mu      sync.Mutex
	cron    *cron.Cron
	ctx     context.Context
	cancel  context.CancelFunc
	running sync.WaitGroup
}

// NewScheduler builds a scheduler for the engine; Start starts it.
func NewScheduler(e *Engine, logger *slog.Logger) *Scheduler {
	return &Scheduler{engine: e, logger: logger}
}

// Start schedules every channel of the engine's config and runs each once now.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ctx, s.cancel = context.WithCancel(ctx)
	return s.startLocked(nil)
}

// startLocked builds and starts a cron for the config in force; channels not
// in unchanged run at once.
func (s *Scheduler) startLocked(unchanged map[string]bool) error {
	cfg := s.engine.Config()
	logger := cronLogger{s.logger}
	c := cron.New(
		cron.WithLocation(cfg.Plan.Location),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
		cron.WithLogger(logger),
	)
	var first []string
	for name, ch := range cfg.Channels {
		if s.engine.types[ch.Type].NotScheduled {
			continue
		}
		if _, err := c.AddFunc(ch.Schedule, func() { s.run(name) }); err != nil {
			return err
		}
		if !unchanged[name] {
			first = append(first, name)
		}
	}
	c.Start()
	s.cron = c
	for _, name := range first {
		s.running.Add(1)
		go func() {
			defer s.running.Done()
			defer recoverRun(s.logger, name)
			s.engine.runChannel(s.ctx, name, false)
		}()
	}
	return nil
}

func (s *Scheduler) run(name string) {
	s.running.Add(1)
	defer s.running.Done()
	s.engine.runChannel(s.ctx, name, false)
}

func recoverRun(logger *slog.Logger, name string) {
	if p := recover(); p != nil {
		logger.Error("a run panicked", "channel", name, "panic", p)
	}
}

// Reload swaps in a new config: the engine takes it, and the schedule is
// rebuilt. Channels whose config is unchanged keep their rhythm without an
// extra run; new or changed ones run at once; removed ones stop after their
// running job.
func (s *Scheduler) Reload(cfg *config.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.engine.Config()
	unchanged := map[string]bool{}
	for name, ch := range cfg.Channels {
		if o, ok := old.Channels[name]; ok && sameChannel(o, ch) {
			unchanged[name] = true
		}
	}
	s.engine.ApplyConfig(s.ctx, cfg)
	if s.cron != nil {
		s.cron.Stop()
	}
	return s.startLocked(unchanged)
}

// Stop stops scheduling, cancels running collections and waits for them to
// finish storing what they read.
func (s *Scheduler) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
	if s.cron != nil {
		<-s.cron.Stop().Done()
	}
	s.running.Wait()
}

// cronLogger lets cron log through slog.
type cronLogger struct{ l *slog.Logger }

// Info logs cron's chatter at debug level.
func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

// Error logs cron's errors.
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
