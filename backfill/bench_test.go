package backfill

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kpi-collector/kpi-collector/collectors"
	"github.com/kpi-collector/kpi-collector/store"
)

// BenchmarkImport10000 checks and stores 10,000 rows (the target: under
// 2 s): a day a row over 10,000 days... of three series, into a fresh store.
func BenchmarkImport10000(b *testing.B) {
	cfg := plan(b)
	var csv strings.Builder
	csv.WriteString("channel,account,metric,value,time\n")
	start := time.Date(2000, 1, 2, 0, 0, 0, 0, time.UTC)
	for i := range 10000 {
		series := []string{"youtube,UC_x5XG1OV2P6uZZ5FSM9Ttw,subscribers", "linkedin,1234567,followers", "offline,,relationships"}[i%3]
		fmt.Fprintf(&csv, "%s,%d,%s\n", series, i, start.Add(time.Duration(i/3)*24*time.Hour).Format(time.DateOnly))
	}
	for b.Loop() {
		b.StopTimer()
		st, err := store.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		res, err := Check(strings.NewReader(csv.String()), cfg, collectors.Types(), now, 10, collectors.TakesFractions)
		if err != nil || res.Bad > 0 || res.Good != 10000 {
			b.Fatalf("%+v %v", res, err)
		}
		if n, err := res.Write(context.Background(), st, ImportBatch); err != nil || n != 10000 {
			b.Fatalf("%d stored: %v", n, err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}
