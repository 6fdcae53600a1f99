package config

// ReadPiecewise makes Load read every file's kpis list in pieces of two
// items where it can (pieces.go), or, with false, never; it returns the
// function that puts things back.
func ReadPiecewise(on bool) (restore func()) {
	above, items := piecewiseAbove, itemsPerPiece
	if on {
		piecewiseAbove, itemsPerPiece = 0, 2
	} else {
		piecewiseAbove = 1 << 62
	}
	return func() { piecewiseAbove, itemsPerPiece = above, items }
}

// ReadsPiecewise reports whether Load reads data's kpis list in pieces
// rather than falling back to reading it whole.
func ReadsPiecewise(file string, data []byte, types Types) bool {
	defer ReadPiecewise(true)()
	rest, kpis, ok := splitKPIs(data)
	if !ok {
		return false
	}
	_, read, _ := load(file, data, rest, kpis, types, nil)
	return read
}
