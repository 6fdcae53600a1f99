// Package metrics turns a snapshot.Snapshot into Prometheus metrics. It only
// reads: each published snapshot is rendered once, in the background, and a
// scrape serves that rendering from memory, so a scrape never waits for a
// collection and never does I/O.
//
// It imports snapshot and vocab and nothing else of the module: not the
// engine, the collectors, the store or the config (e2e checks it).
package metrics
