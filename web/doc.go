// Package web serves the collector's HTTP endpoints: /metrics, the status
// page and the page of each KPI (its chart drawn by package chart), health
// and readiness, reload, the evaluated plan as JSON and the
// recording API of manual channels.
//
// Handlers only read the published snapshot or hand recordings to the
// engine through the Engine interface (recording, its authorization and
// routing); no API call, store access or plan arithmetic happens here. It
// imports snapshot, report, chart, plan and vocab, and not the engine, the
// collectors, the store or the config (e2e checks it).
package web
