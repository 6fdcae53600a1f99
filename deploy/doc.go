// Package deploy holds what users run beside the collector: Prometheus
// rules, Alertmanager routing, Grafana dashboards, Compose and Kubernetes
// manifests. It is its own Go module, so that the dashboard generator and the
// tests that check these files with the real tools (promtool, amtool, a real
// Prometheus and Alertmanager) keep their heavy dependencies out of the
// collector's go.mod.
package deploy

//go:generate go run ./cmd/generate
