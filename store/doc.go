// Package store keeps every reading, the feed-item ledger and each channel's
// last run in an embedded SQLite database (modernc.org/sqlite: pure Go, so the
// binary stays static).
//
// It is the system of record: a reading is committed here before anything
// shows it. It knows nothing of plans, HTTP or metrics, and must never import
// the collectors, plan, engine, metrics or web packages.
package store
