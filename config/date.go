package config

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/kpi-collector/kpi-collector/plan"
)

// Date is a whole day, written YYYY-MM-DD, meant in the plan's timezone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date of the form YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// UnmarshalYAML reads a date from a scalar, quoted or not.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: a date must be written YYYY-MM-DD", n.Line)
	}
	v, err := ParseDate(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = v
	return nil
}

// MarshalYAML writes YYYY-MM-DD.
func (d Date) MarshalYAML() (any, error) { return d.String(), nil }

// String is YYYY-MM-DD.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports whether the date was not given.
func (d Date) IsZero() bool { return d.Year == 0 }

// Start is 00:00 of the day in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return plan.StartOfDay(d.Year, d.Month, d.Day, loc)
}

// End is 24:00 of the day in loc, when a milestone due that day falls due.
func (d Date) End(loc *time.Location) time.Time { return plan.EndOfDay(d.Year, d.Month, d.Day, loc) }
