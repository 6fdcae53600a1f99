// Package metrics turns an engine Snapshot into Prometheus metrics. It only
// reads: each published snapshot is rendered once, in the background, and a
// scrape serves that rendering from memory, so a scrape never waits for a
// collection and never does I/O.
//
// It must never import the collectors' clients, the store or the web package.
package metrics
