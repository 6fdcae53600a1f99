// Package store keeps every reading, the feed-item ledger and each channel's
// last run in an embedded SQLite database (modernc.org/sqlite: pure Go, so the
// binary stays static). Readings live in per-day chunks of delta-encoded
// values (chunks.go), a few bytes each, tailed by a write sequence number.
//
// It is the system of record: a reading is committed here before anything
// shows it. It knows nothing of plans, HTTP or metrics, and must never import
// the collectors, plan, engine, metrics or web packages.
//
// The file records its layout version (SQLite's user_version). migrate.go
// lists the layouts in order: opening a store applies those it lacks in one
// transaction and logs them, and refuses, before writing anything, a store
// of a layout newer than the binary's (NewerLayoutError). A reading command
// opens with Options.ReadOnly: the store is written only when it must be
// migrated. To add a table, append a migration to migrations (a name and its
// statements) and keep a store of the new layout (internal/storegen); see
// CONTRIBUTING.md, "Adding a table to the store".
package store
