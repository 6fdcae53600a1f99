// Package engine moves data one way: schedule → collector → store → plan →
// snapshot. It runs each channel's collector on its cron schedule, commits
// what was read to the store, tails the store into memory, evaluates the plan
// and publishes an immutable Snapshot that the metrics and web layers only
// read.
//
// It must never import the metrics or web packages.
package engine
