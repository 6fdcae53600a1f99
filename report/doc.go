// Package report renders an evaluated plan (a snapshot.Snapshot) as rows: a
// terminal table, CSV, JSON or Markdown, and as one self-contained HTML file
// with a chart per KPI (drawn by package chart). The JSON is also what GET
// /api/v1/kpis serves.
//
// It only reads a snapshot: it imports snapshot, chart, plan and vocab, never
// the engine, the store, the collectors or the web package (e2e checks it).
package report
