// Package web serves the collector's HTTP endpoints: /metrics, the status
// page, health and readiness, reload, the evaluated plan as JSON and the
// recording API of manual channels.
//
// Handlers only read the engine's snapshot or hand work to the engine; no API
// call or plan arithmetic happens here.
package web
