// Package collectors reads counts from the channels' APIs: one file per
// channel type, each behind the small Collector interface and registering
// itself (its Spec: metrics, credentials, options, defaults, behaviors, and
// how to build its collector) from its init. What the hand-written clients
// share — User-Agent, request counting, redirects, error classes, batching,
// URL scrubbing, the guard against impossible counts — lives once, in
// collector.go, httpx.go and errors.go.
//
// A collector knows nothing of plans, stores or metrics: it returns what it
// read and what failed, and the engine takes it from there. It must never
// import the store, engine, metrics or web packages.
package collectors
