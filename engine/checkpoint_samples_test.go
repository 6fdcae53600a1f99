package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"testing"
)

// encodeSamples writes samples as writeCheckpoint does.
func encodeSamples(ps []sample) []byte {
	var b bytes.Buffer
	var prev int64
	var buf [binary.MaxVarintLen64]byte
	for _, p := range ps {
		b.Write(buf[:binary.PutVarint(buf[:], p.ms-prev)])
		prev = p.ms
		var fb [8]byte
		binary.LittleEndian.PutUint64(fb[:], math.Float64bits(p.value))
		b.Write(fb[:])
	}
	return b.Bytes()
}

// A series is read the same whether it fits the reader's buffer (parsed in
// place) or not (a sample at a time), and a cut one is an error.
func TestReadSamples(t *testing.T) {
	for _, n := range []int{0, 3, 70_000} { // 70,000 × up to 18 bytes is more than the 1 MiB buffer
		t.Run("", func(t *testing.T) {
			want := make([]sample, n)
			for i := range want {
				want[i] = sample{int64(1_780_000_000_000 + 3_600_000*i), float64(i) * 1.5}
			}
			data := encodeSamples(want)
			r := bufio.NewReaderSize(bytes.NewReader(append(data, "rest"...)), 1<<20)
			got, err := readSamples(r, n, nil)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("n=%d: %d samples, err %v", n, len(got), err)
			}
			if rest, _ := r.Peek(4); string(rest) != "rest" {
				t.Errorf("n=%d: the reader is at %q after the samples, want the rest", n, rest)
			}
			if n > 0 {
				cut := bufio.NewReaderSize(bytes.NewReader(data[:len(data)-3]), 1<<20)
				if _, err := readSamples(cut, n, nil); err == nil {
					t.Errorf("n=%d: a cut series read without error", n)
				}
			}
		})
	}
}
