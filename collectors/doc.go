// Package collectors reads counts from the channels' APIs: one file per
// channel type, each behind the small Collector interface and registered in
// the one table of types (types.go). What the hand-written clients share —
// User-Agent, request counting, error classes, batching, URL scrubbing — lives
// once, in httpx.go and errors.go.
//
// A collector knows nothing of plans, stores or metrics: it returns what it
// read and what failed, and the engine takes it from there. It must never
// import the plan, store, engine, metrics or web packages.
package collectors
