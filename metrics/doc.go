// Package metrics turns an engine Snapshot into Prometheus metrics. It only
// reads: every scrape renders the snapshot published last, so a scrape never
// waits for a collection and never does I/O.
//
// It must never import the collectors' clients, the store or the web package.
package metrics
