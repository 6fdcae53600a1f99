// Package store keeps every reading, the feed-item ledger and each channel's
// last run in an embedded SQLite database (modernc.org/sqlite: pure Go, so the
// binary stays static). Readings live in per-day chunks of delta-encoded
// values (chunks.go), a few bytes each, tailed by a write sequence number.
//
// It is the system of record: a reading is committed here before anything
// shows it. It knows nothing of plans, HTTP or metrics, and must never import
// the collectors, plan, engine, metrics or web packages.
package store
