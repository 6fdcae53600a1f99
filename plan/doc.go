// Package plan is the pure arithmetic of a social-media plan: from the readings
// of one KPI and its milestones it derives the value, the glide path, the
// expected value, the status, the pace and the forecast.
//
// It performs no I/O and knows nothing of channels, stores or HTTP; it
// imports no package of this module but vocab, the shared words (a test in
// e2e checks the import rules).
package plan
