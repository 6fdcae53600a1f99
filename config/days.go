package config

import (
	"fmt"
	"regexp"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// Days is a rolling window written as a number of days, "28d" (or "4w"):
// what analytics tools call a date range relative to today.
type Days int

var daysPattern = regexp.MustCompile(`^([0-9]{1,5})([dw])$`)

// UnmarshalYAML reads "28d" or "4w".
func (d *Days) UnmarshalYAML(n *yaml.Node) error {
	m := daysPattern.FindStringSubmatch(n.Value)
	if n.Kind != yaml.ScalarNode || m == nil {
		return fmt.Errorf("%q is not a window in days; write it as 28d (days) or 4w (weeks)", n.Value)
	}
	v, _ := strconv.Atoi(m[1])
	if v == 0 {
		return fmt.Errorf("%q is no window; give at least 1d", n.Value)
	}
	if m[2] == "w" {
		v *= 7
	}
	*d = Days(v)
	return nil
}

func (d Days) String() string { return strconv.Itoa(int(d)) + "d" }
