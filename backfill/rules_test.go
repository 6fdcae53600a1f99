package backfill

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/store"
)

const head = "channel,account,metric,value,time\n"

// A count is a whole number written plainly, up to 2^53; a ratio (or a
// metric of a manual channel) takes a plain decimal. Nothing is rounded.
func TestValuesWrittenPlainly(t *testing.T) {
	cfg := plan(t)
	tests := []struct {
		row, want string // want "" takes the row
	}{
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1200,2026-07-01", ""},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers, 1200 ,2026-07-01", ""},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,9007199254740992,2026-07-01", ""},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1.5,2026-07-01", `value "1.5" is not a whole number written plainly`},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1200.0,2026-07-01", "not a whole number"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1_000,2026-07-01", "not a whole number"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,0x1p3,2026-07-01", "not a whole number"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1e3,2026-07-01", "not a whole number"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,+5,2026-07-01", "not a whole number"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,9007199254740993,2026-07-01", "beyond 2^53"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,99999999999999999999999,2026-07-01", "beyond 2^53"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,engagement_rate,0.035,2026-07-01", ""},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,engagement_rate,3.5e-2,2026-07-01", "not a number written plainly"},
		{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,engagement_rate,NaN,2026-07-01", "not a number written plainly"},
		{"offline,,relationships,2.5,2026-07-01", ""},
		{"offline,,relationships,Inf,2026-07-01", "not a number written plainly"},
	}
	for _, tt := range tests {
		res, err := Check(strings.NewReader(head+tt.row+"\n"), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case tt.want == "" && res.Bad > 0:
			t.Errorf("%s: refused: %v", tt.row, res.Problems)
		case tt.want != "" && (res.Bad != 1 || !strings.Contains(res.Problems[0].Msg, tt.want)):
			t.Errorf("%s: %v, want %q", tt.row, res.Problems, tt.want)
		}
	}
	res, _ := Check(strings.NewReader(head+"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,9007199254740991,2026-07-01\n"), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
	if rs := res.Readings(); len(rs) != 1 || rs[0].Value != 9007199254740991 {
		t.Errorf("2^53-1: %+v", rs)
	}
}

// Two rows at one moment of a series with different values are both bad
// (which is right is not known); the same row twice is one reading. A file
// imported twice changes nothing the second time.
func TestDuplicatesAndReimport(t *testing.T) {
	cfg := plan(t)
	file := head +
		"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1200,2026-07-01\n" +
		"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1300,2026-07-02\n" +
		"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1200,2026-07-01\n" + // the same again
		"offline,,relationships,3,2026-07-05T10:00:00Z\n" +
		"offline,default,relationships,4,2026-07-05T12:00:00+02:00\n" // the same moment, another value
	res, err := Check(strings.NewReader(file), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bad != 2 || len(res.Problems) != 2 ||
		res.Problems[0].Line != 5 || !strings.Contains(res.Problems[0].Msg, "line 6 gives 4") ||
		res.Problems[1].Line != 6 || !strings.Contains(res.Problems[1].Msg, "line 5 gives 3") {
		t.Errorf("conflicting rows: %d bad, %v", res.Bad, res.Problems)
	}
	if got := len(res.Readings()); got != 2 {
		t.Errorf("%d readings, want 2 (one of the repeated row)", got)
	}

	clean := head
	for d := 1; d <= 30; d++ {
		clean += fmt.Sprintf("youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,%d,2026-07-%02d\n", 1000+d, d)
		clean += fmt.Sprintf("youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,%d,2026-07-%02d\n", 1000+d, d)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, want := range []int{30, 0} {
		res, err := Check(strings.NewReader(clean), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
		if err != nil || res.Bad > 0 {
			t.Fatal(err, res.Problems)
		}
		changed, err := res.Write(context.Background(), st, 7) // batches of 7 rows
		if err != nil || changed != want {
			t.Errorf("import %d: %d changed (%v), want %d", i+1, changed, err, want)
		}
	}
	if r, ok, err := st.Latest(context.Background(), "youtube", "UC_x5XG1OV2P6uZZ5FSM9Ttw", "subscribers"); err != nil || !ok || r.Value != 1030 {
		t.Errorf("latest: %+v %v %v", r, ok, err)
	}
}

// A row longer than MaxRowBytes (a field that runs on) stops the reading at
// its line; the message quotes none of it, and memory holds no more than
// the cap of it.
func TestRowOverTheCap(t *testing.T) {
	cfg := plan(t)
	huge := &repeat{head: head + "offline,,relationships,1,2026-07-01\noffline,\"", row: strings.Repeat("x", 1000), n: 100_000} // 100 MB
	res, err := Check(huge, cfg, collectors.Types(), now, 10, collectors.TakesFractions)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Stopped || res.Bad != 1 || len(res.Problems) != 1 || res.Problems[0].Line != 3 || !strings.Contains(res.Problems[0].Msg, "longer than") || len(res.Problems[0].Msg) > 300 {
		t.Errorf("stopped %v, %d bad, %.500v", res.Stopped, res.Bad, res.Problems)
	}
	// A long field under the cap is quoted in part.
	long := head + "offline," + strings.Repeat("y", 10000) + ",relationships,1,2026-07-01\n"
	res, _ = Check(strings.NewReader(long), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
	if res.Bad != 1 || len(res.Problems[0].Msg) > 300 || !strings.Contains(res.Problems[0].Msg, "(10000 bytes)") {
		t.Errorf("a long account: %.500v", res.Problems)
	}
}

// FuzzCheck reads arbitrary files: no panic, every row counted once (good,
// bad or settled as a repeat), every problem at a line and a line long, and
// every reading kept a whole number where the metric is a count.
func FuzzCheck(f *testing.F) {
	cfg := plan(f)
	for _, seed := range []string{
		head + "youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers,1200,2026-07-01\n",
		head + "offline,,relationships,2.5,2026-07-05T10:00:00Z\noffline,,relationships,3,2026-07-05T10:00:00Z\n",
		head + "youtube,\"UC\n\",subscribers,1,2026-07-01\n",
		head + "linkedin,1234567,followers,0x1p3,2026-07-01\n",
		"", "\uFEFF" + head, head + "\"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, file string) {
		res, err := Check(strings.NewReader(file), cfg, collectors.Types(), now, 5, collectors.TakesFractions)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.Problems {
			if p.Line < 1 || len(p.Msg) > 600 || strings.Contains(p.Msg, "\n") {
				t.Errorf("problem %q at line %d", p.Msg, p.Line)
			}
		}
		if res.Good < 0 || len(res.Readings()) > res.Good {
			t.Errorf("%d good rows, %d readings", res.Good, len(res.Readings()))
		}
		for _, r := range res.Readings() {
			if r.Value < 0 || r.Value > MaxCount || (!collectors.TakesFractions(cfg.Channels[r.Channel].Type, r.Metric) && r.Value != float64(int64(r.Value))) {
				t.Errorf("reading %+v", r)
			}
		}
	})
}
