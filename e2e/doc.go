// Package e2e holds the end-to-end tests: they build the collector binary,
// run it against fake channel APIs and check what it serves.
package e2e
