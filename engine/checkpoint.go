package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/kpi-collector/kpi-collector/store"
)

// The checkpoint is the in-memory cache written to a file beside the store,
// so that a restart reads it (a few megabytes) and tails only the readings
// stored since, instead of scanning every reading in SQLite. It is a cache of
// the store, never the record: a missing, damaged (its CRC-32C does not
// match) or foreign checkpoint is ignored and the store is read whole. So is one thinned for another plan
// (keepRules' fingerprint differs) or after the moment the engine evaluates
// at (`collector report --at` an earlier day): it may lack readings these need.

// CheckpointFile is the checkpoint's name inside --storage.path (the store
// names the folder's files: its presence shows a store existed).
const CheckpointFile = store.CheckpointFile

const checkpointMagic = "KPIC3\n"

// checkpointCRC checksums a checkpoint: its bytes up to the last four, which
// hold the CRC-32C of the rest. A checkpoint whose bytes changed (a bad disk,
// a stray write) is then ignored instead of serving numbers the store never
// held.
var checkpointCRC = crc32.MakeTable(crc32.Castagnoli)

// writeCheckpoint writes the cache, as thinned by now, atomically (a
// temporary file renamed).
func (c *cache) writeCheckpoint(path, storeID string, now time.Time) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp) //nolint:gosec // the path is the operator's storage folder
	if err != nil {
		return err
	}
	sum := crc32.New(checkpointCRC)
	w := bufio.NewWriterSize(io.MultiWriter(f, sum), 1<<20)
	var buf [binary.MaxVarintLen64]byte
	putInt := func(v int64) { _, _ = w.Write(buf[:binary.PutVarint(buf[:], v)]) }
	putStr := func(s string) { putInt(int64(len(s))); _, _ = w.WriteString(s) }
	_, _ = w.WriteString(checkpointMagic)
	putStr(storeID)
	putInt(int64(c.rules.fingerprint)) //nolint:gosec // the bits, read back the same way
	putInt(now.UnixMilli())
	putInt(c.lastID)
	putInt(c.lastItemID)
	putInt(int64(c.series.len()))
	for k, d := range c.series.all() {
		ps := d.s
		putStr(k.channel)
		putStr(k.account)
		putStr(k.metric)
		putInt(int64(len(ps)))
		var prev int64
		for _, p := range ps {
			putInt(p.ms - prev)
			prev = p.ms
			var fb [8]byte
			binary.LittleEndian.PutUint64(fb[:], math.Float64bits(p.value))
			_, _ = w.Write(fb[:])
		}
	}
	putInt(int64(len(c.items)))
	for k, ts := range c.items {
		putStr(k.channel)
		putStr(k.account)
		putInt(int64(len(ts)))
		var prev int64
		for _, t := range ts {
			ms := t.UnixMilli()
			putInt(ms - prev)
			prev = ms
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(binary.LittleEndian.AppendUint32(nil, sum.Sum32())); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

var (
	errForeign = errors.New("the checkpoint belongs to another store")
	errThinned = errors.New("the checkpoint was thinned for another plan or a later moment")
	errDamaged = errors.New("the checkpoint does not match its checksum: it is damaged")
)

// readCheckpoint fills an empty cache from a checkpoint of the store
// storeID, thinned by the cache's rules at or before now.
func (c *cache) readCheckpoint(path, storeID string, now time.Time) error {
	f, err := os.Open(path) //nolint:gosec // the path is the operator's storage folder
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	size := info.Size() - 4
	if size < int64(len(checkpointMagic)) {
		return fmt.Errorf("not a checkpoint: %s", filepath.Base(path))
	}
	var want [4]byte
	if _, err := f.ReadAt(want[:], size); err != nil {
		return err
	}
	sum := crc32.New(checkpointCRC)
	r := bufio.NewReaderSize(io.TeeReader(io.LimitReader(f, size), sum), 1<<20)
	magic := make([]byte, len(checkpointMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != checkpointMagic {
		return fmt.Errorf("not a checkpoint: %s", filepath.Base(path))
	}
	var rerr error
	getInt := func() int64 {
		v, err := binary.ReadVarint(r)
		if err != nil && rerr == nil {
			rerr = err
		}
		return v
	}
	getStr := func() string {
		n := getInt()
		if n < 0 || n > 1<<20 {
			if rerr == nil {
				rerr = errors.New("a damaged checkpoint")
			}
			return ""
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil && rerr == nil {
			rerr = err
		}
		return string(b)
	}
	count := func() int {
		n := getInt()
		if n < 0 || n > 1<<31 {
			if rerr == nil {
				rerr = errors.New("a damaged checkpoint")
			}
			return 0
		}
		return int(n)
	}
	if id := getStr(); rerr == nil && id != storeID {
		return errForeign
	}
	fingerprint, at := uint64(getInt()), getInt() //nolint:gosec // the bits, as written
	if rerr == nil && (fingerprint != c.rules.fingerprint || now.UnixMilli() < at) {
		return errThinned
	}
	// Channels and metrics repeat in every series: one string each.
	names := map[string]string{}
	getName := func() string {
		s := getStr()
		if known, ok := names[s]; ok {
			return known
		}
		names[s] = s
		return s
	}
	c.lastID, c.lastItemID = getInt(), getInt()
	for range count() {
		k := seriesKey{getName(), getStr(), getName()}
		n := count()
		if rerr != nil {
			return rerr
		}
		ps, err := readSamples(r, n, make([]sample, 0, min(n, 1<<16))) // a damaged count must not allocate gigabytes before the checksum is known
		if err != nil {
			return err
		}
		c.put(k, ps)
	}
	for range count() {
		k := accountKey{getStr(), getStr()}
		n := count()
		ts := make([]time.Time, 0, min(n, 1<<16))
		var ms int64
		for range n {
			ms += getInt()
			ts = append(ts, time.UnixMilli(ms))
		}
		if rerr != nil {
			return rerr
		}
		c.items[k] = ts
	}
	if rerr != nil {
		return rerr
	}
	// Whatever was parsed counts only if every byte is as written.
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	if sum.Sum32() != binary.LittleEndian.Uint32(want[:]) {
		return errDamaged
	}
	return nil
}

// readSamples reads n samples (a varint time delta and 8 bytes of value
// each) into ps. A series that fits the reader's buffer is parsed from it in
// place, which is most of the time a start-up spends here with millions of
// readings; a longer one a sample at a time.
func readSamples(r *bufio.Reader, n int, ps []sample) ([]sample, error) {
	var ms int64
	if most := n * (binary.MaxVarintLen64 + 8); most <= r.Size() {
		buf, _ := r.Peek(most) // fewer bytes near the end: bounds are checked below
		off := 0
		for range n {
			d, k := binary.Varint(buf[off:])
			if k <= 0 || off+k+8 > len(buf) {
				return ps, errors.New("a damaged checkpoint")
			}
			off += k
			ms += d
			ps = append(ps, sample{ms, math.Float64frombits(binary.LittleEndian.Uint64(buf[off:]))})
			off += 8
		}
		_, err := r.Discard(off)
		return ps, err
	}
	for range n {
		d, err := binary.ReadVarint(r)
		if err != nil {
			return ps, err
		}
		ms += d
		var fb [8]byte
		if _, err := io.ReadFull(r, fb[:]); err != nil {
			return ps, err
		}
		ps = append(ps, sample{ms, math.Float64frombits(binary.LittleEndian.Uint64(fb[:]))})
	}
	return ps, nil
}
