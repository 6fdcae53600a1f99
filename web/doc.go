// Package web serves the collector's HTTP endpoints: /metrics, the status
// page, health and readiness, reload, the evaluated plan as JSON and the
// recording API of manual channels.
//
// Handlers only read the engine's snapshot or hand work to the engine
// (recordings, their authorization and routing); no API call, store access
// or plan arithmetic happens here, and it imports neither the collectors,
// the store nor the config (e2e checks it).
package web
