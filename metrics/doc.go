// Package metrics turns an engine Snapshot into Prometheus metrics. It only
// reads: each published snapshot is rendered once, in the background, and a
// scrape serves that rendering from memory, so a scrape never waits for a
// collection and never does I/O.
//
// It imports the engine (for the Snapshot), plan and vocab; never the
// collectors, the store, the config or the web package (e2e checks it).
package metrics
