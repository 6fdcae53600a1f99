// Package bench holds the benchmarks of BENCHMARKS.md: a daemon's engine
// against the in-process fake API with N accounts and a fixed latency, the
// scrape of /metrics, start-up over a large store. It has no code of its own
// beyond its tests.
package bench
