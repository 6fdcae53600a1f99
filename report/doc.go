// Package report renders an evaluated plan (an engine Snapshot) as rows: a
// terminal table, CSV or JSON. The JSON is also what GET /api/v1/kpis serves.
//
// It only reads a snapshot; it must never import the store, the collectors or
// the web package.
package report
