// Command collector runs kpi-collector: `serve` (the default) is the daemon;
// `check`, `once`, `record` and `report` are the sub-commands that validate a
// config, collect once, record a manual value and print the plan's progress.
//
// This package only parses flags and wires the other packages together; the
// work itself lives in engine, collectors, store, plan, metrics and web.
package main
