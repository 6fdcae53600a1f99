package gzipsplice

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
)

// text is n bytes that compress a little, like an exposition.
func text(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "kpi_value{account=\"UC%d\",channel=\"youtube\"} %g\n", r.IntN(1000), r.Float64()*1e6)
	}
	return b.Bytes()[:n]
}

func TestCombine(t *testing.T) {
	for _, tc := range []struct{ a, b int }{{0, 0}, {0, 1}, {1, 0}, {1, 1}, {3, 17}, {1000, 1}, {1, 65536}, {12345, 1 << 20}} {
		a, b := text(1, tc.a), text(2, tc.b)
		want := crc32.ChecksumIEEE(append(append([]byte{}, a...), b...))
		if got := Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Errorf("%d then %d bytes: Combine = %08x, the CRC of both is %08x", tc.a, tc.b, got, want)
		}
	}
}

func FuzzCombine(f *testing.F) {
	f.Add([]byte("kpi_value 1\n"), []byte("kpi_value 2\n"))
	f.Add([]byte{}, []byte{0, 0, 0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		want := crc32.ChecksumIEEE(append(append([]byte{}, a...), b...))
		if got := Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), int64(len(b))); got != want {
			t.Errorf("Combine = %08x, the CRC of both is %08x", got, want)
		}
	})
}

// piece compresses b as a piece to splice.
func piece(t *testing.T, b []byte) Piece {
	t.Helper()
	var out bytes.Buffer
	pw := NewPieceWriter(&out)
	if _, err := pw.Write(b); err != nil {
		t.Fatal(err)
	}
	crc, size, err := pw.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return Piece{Deflate: out.Bytes(), CRC: crc, Size: size}
}

// readOneMember inflates the first member of b, failing if anything
// follows it: a reader that stops after one member must see everything.
func readOneMember(t *testing.T, b []byte) []byte {
	t.Helper()
	br := bytes.NewReader(b)
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false)
	got, err := io.ReadAll(zr) // checks the trailer's CRC and length
	if err != nil {
		t.Fatal(err)
	}
	if br.Len() != 0 {
		t.Fatalf("%d bytes follow the first gzip member", br.Len())
	}
	return got
}

// Text compressed on the spot and pieces spliced in, in any order and
// number, make one member that inflates to all of it in order.
func TestWriterSplicesIntoOneMember(t *testing.T) {
	type part struct {
		splice bool
		n      int
	}
	for name, parts := range map[string][]part{
		"nothing":               nil,
		"text only":             {{false, 5000}},
		"piece only":            {{true, 5000}},
		"empty piece":           {{false, 10}, {true, 0}, {false, 10}},
		"live, cached, live":    {{false, 3000}, {true, 200000}, {false, 2000}},
		"pieces back to back":   {{true, 100}, {true, 70000}, {true, 1}},
		"text between pieces":   {{true, 100}, {false, 70000}, {true, 1}, {false, 1}},
		"repeats across splice": {{false, 40000}, {true, 40000}, {false, 40000}},
	} {
		t.Run(name, func(t *testing.T) {
			var want, member bytes.Buffer
			zw := NewWriter(&member)
			for i, p := range parts {
				b := text(uint64(i%2), p.n) // the same text again: back-references must not cross a splice
				want.Write(b)
				if p.splice {
					if err := zw.Splice(piece(t, b)); err != nil {
						t.Fatal(err)
					}
				} else if _, err := zw.Write(b); err != nil {
					t.Fatal(err)
				}
			}
			if err := zw.Close(); err != nil {
				t.Fatal(err)
			}
			if got := readOneMember(t, member.Bytes()); !bytes.Equal(got, want.Bytes()) {
				t.Errorf("inflated %d bytes, want %d", len(got), want.Len())
			}
		})
	}
}

// A piece read alone, or made a member alone, is its text.
func TestPieceAlone(t *testing.T) {
	b := text(7, 100000)
	p := piece(t, b)
	got, err := io.ReadAll(p.Reader())
	if err != nil || !bytes.Equal(got, b) {
		t.Fatalf("Reader: %d bytes, %v", len(got), err)
	}
	if got := readOneMember(t, p.Member()); !bytes.Equal(got, b) {
		t.Fatalf("Member: %d bytes", len(got))
	}
}
