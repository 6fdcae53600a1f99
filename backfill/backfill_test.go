package backfill

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/config"
)

var now = time.Date(2026, 8, 15, 12, 0, 0, 0, time.UTC)

func plan(t testing.TB) *config.Config {
	t.Helper()
	cfg, err := config.LoadFile(filepath.Join("testdata", "plan.yml"), collectors.Types())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Each documented source shape, turned into the import format as README
// says, imports whole.
func TestDocumentedShapes(t *testing.T) {
	cfg := plan(t)
	for _, f := range []string{"youtube_studio.csv", "linkedin_followers.csv", "relationships_spreadsheet.csv"} {
		data, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		res, err := Check(strings.NewReader(string(data)), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
		if err != nil || res.Bad != 0 || len(res.Readings()) != 3 {
			t.Errorf("%s: %+v, %v", f, res, err)
		}
	}
	// A date is the end of that day in the plan's zone.
	res, _ := Check(strings.NewReader("channel,account,metric,value,time\noffline,,relationships,4,2026-07-31\n"), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
	rs := res.Readings()
	if want := time.Date(2026, 7, 31, 23, 59, 59, 999e6, cfg.Plan.Location); len(rs) != 1 || !rs[0].Time.Equal(want) || rs[0].Account != "default" {
		t.Errorf("a date: %+v, want %v on account default", rs, want)
	}
}

// Every bad row is named by its line, with why.
func TestBadRows(t *testing.T) {
	cfg := plan(t)
	tests := []struct {
		name, csv, want string
	}{
		{"no header", "youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1,2026-07-01\n", "line 1: the header is"},
		{"an empty file", "", "line 1: the file is empty"},
		{"a wrong column count", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1\n", "line 2: 4 columns; a row has 5"},
		{"not a number", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1.2K,2026-07-01\n", `line 2: value "1.2K" is not a whole number`},
		{"negative", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,-3,2026-07-01\n", `line 2: value "-3" is negative`},
		{"beyond 2^53", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1e300,2026-07-01\n", "not a whole number"},
		{"an unknown channel", "channel,account,metric,value,time\ntiktok,acme,followers,1,2026-07-01\n", `line 2: channel "tiktok" is not in the config`},
		{"an unknown metric", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,likes,1,2026-07-01\n", `line 2: channel youtube has no metric "likes"`},
		{"an unknown account", "channel,account,metric,value,time\nyoutube,UCnope,subscribers,1,2026-07-01\n", `line 2: account "UCnope" is not among`},
		{"too early", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1,1999-12-31\n", "before 2000-01-01: out of range"},
		{"in the future", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1,2027-01-01\n", "is in the future"},
		{"a bad time", "channel,account,metric,value,time\nyoutube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1,yesterday\n", `time "yesterday" is neither RFC 3339`},
		{"not UTF-8", "channel,account,metric,value,time\noffline,,relationships,1,2026-07-01\noffline,\xff\xfe,relationships,1,2026-07-01\n", "line 3: the row is not UTF-8"},
		{"a broken quote", "channel,account,metric,value,time\n\"offline,,relationships,1,2026-07-01\n", "line 2:"},
	}
	for _, tt := range tests {
		res, err := Check(strings.NewReader(tt.csv), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
		if err != nil || res.Bad == 0 || len(res.Problems) == 0 || !strings.Contains(res.Problems[0].Error(), tt.want) {
			t.Errorf("%s: %+v, %v, want %q", tt.name, res, err, tt.want)
		}
	}
}

// A file of any size is checked as a stream: a million bad rows cost no
// more memory than the hundred listed.
func TestManyBadRowsStream(t *testing.T) {
	cfg := plan(t)
	r := &repeat{head: "channel,account,metric,value,time\n", row: "youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,not-a-number,2026-07-01\n", n: 200000}
	res, err := Check(r, cfg, collectors.Types(), now, 100, collectors.TakesFractions)
	if err != nil || res.Bad != 200000 || len(res.Problems) != 100 {
		t.Errorf("%d bad, %d listed, %v", res.Bad, len(res.Problems), err)
	}
}

// repeat is a reader of a header and n copies of a row, made as it is read.
type repeat struct {
	head, row string
	n         int
	buf       []byte
}

func (r *repeat) Read(p []byte) (int, error) {
	for len(r.buf) < len(p) && (r.head != "" || r.n > 0) {
		if r.head != "" {
			r.buf, r.head = append(r.buf, r.head...), ""
			continue
		}
		r.buf = append(r.buf, r.row...)
		r.n--
	}
	if len(r.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.buf)
	r.buf = r.buf[n:]
	return n, nil
}
