// Package config reads the plan file: the plan, its channels and its KPIs.
//
// It decodes strictly (an unknown key is an error), fills in defaults, expands
// ${VAR} from the environment, reads *_file secrets and validates everything
// it can, naming the file, the line and the value of each problem. The
// channel types it accepts are handed in by the caller (see TypeSpec), so it
// must never import the collectors, the store or anything that does I/O
// beyond reading the files the config names.
package config
