// Package config reads the plan file: the plan, its channels and its KPIs.
//
// It decodes strictly (an unknown key is an error), fills in defaults, expands
// ${VAR} from the environment, reads *_file secrets and validates everything
// it can, naming the file, the line and the value of each problem. The
// channel types it accepts are handed in by the caller (see TypeSpec), so it
// must never import the collectors, the store or anything that does I/O
// beyond reading the files the config names.
//
// A large file's kpis list is read a thousand items at a time (pieces.go), so
// that a plan of 100,000 KPIs written out does not become one YAML node tree
// of 300 MB; it reads the same as it would whole.
package config
