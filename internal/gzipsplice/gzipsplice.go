// Package gzipsplice writes one gzip member (RFC 1952) whose deflate data is
// partly compressed on the spot and partly spliced in from pieces
// compressed beforehand: a page kept compressed in memory can be served
// between parts that change at every request without compressing it again,
// and without sending several gzip members back to back, which only some
// readers take (Go's and zlib's gzip readers read on; curl, wget and
// browsers stop after the first member).
//
// Deflate data can be cut where a compressor made a sync flush: the blocks
// before it end on a byte boundary and none is marked final, and no block
// after a reset refers back into them. A member is then one header, the
// pieces' blocks in order, one final block, and one trailer with the CRC-32
// of all the pieces' text (combined from each piece's own, as zlib's
// crc32_combine does) and its total length modulo 2^32.
package gzipsplice

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"sync"

	"github.com/klauspost/compress/flate"
)

// Piece is deflate data compressed apart, ready to be spliced into a member.
type Piece struct {
	// Deflate is raw deflate blocks (no gzip or zlib framing) ended by a
	// sync flush and with no final block.
	Deflate []byte
	// CRC is the CRC-32 (IEEE) of the text Deflate inflates to.
	CRC uint32
	// Size is the length of that text.
	Size int64
}

// finalBlock is an empty final block with fixed Huffman codes: the bits
// 1 (final), 01 (fixed), then the end-of-block code 0000000.
var finalBlock = []byte{0x03, 0x00}

// Reader inflates p alone.
func (p Piece) Reader() io.ReadCloser {
	return flate.NewReader(io.MultiReader(bytes.NewReader(p.Deflate), bytes.NewReader(finalBlock)))
}

// Member is p alone as a whole gzip member.
func (p Piece) Member() []byte {
	out := make([]byte, 0, len(header)+len(p.Deflate)+len(finalBlock)+8)
	out = append(out, header[:]...)
	out = append(out, p.Deflate...)
	out = append(out, finalBlock...)
	return appendTrailer(out, p.CRC, p.Size)
}

// header is a gzip header with no name, no modification time and an
// unknown operating system, as Go's gzip.Writer writes one by default.
var header = [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255}

func appendTrailer(b []byte, crc uint32, size int64) []byte {
	b = binary.LittleEndian.AppendUint32(b, crc)
	return binary.LittleEndian.AppendUint32(b, uint32(size)) //nolint:gosec // ISIZE is the length modulo 2^32 (RFC 1952)
}

// Writer writes one gzip member to an io.Writer: text given to Write is
// compressed there, pieces given to Splice are copied as they are.
type Writer struct {
	w       io.Writer
	fw      *flate.Writer
	crc     uint32
	size    int64
	pending bool // fw holds text not yet flushed
	err     error
}

// NewWriter starts a member on w (the header is written at once); its own
// text is compressed at flate.BestSpeed.
func NewWriter(w io.Writer) *Writer {
	z := &Writer{w: w, fw: getFlate(w)}
	_, z.err = w.Write(header[:])
	return z
}

// Write compresses p into the member.
func (z *Writer) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	n, err := z.fw.Write(p)
	z.crc = crc32.Update(z.crc, crc32.IEEETable, p[:n])
	z.size += int64(n)
	z.pending = z.pending || n > 0
	z.err = err
	return n, err
}

// Splice ends what Write compressed with a sync flush, copies p's blocks,
// and starts compressing afresh, so that nothing compressed later refers to
// text before p.
func (z *Writer) Splice(p Piece) error {
	if z.err != nil {
		return z.err
	}
	if z.pending {
		if z.err = z.fw.Flush(); z.err != nil {
			return z.err
		}
		z.fw.Reset(z.w)
		z.pending = false
	}
	if _, z.err = z.w.Write(p.Deflate); z.err != nil {
		return z.err
	}
	z.crc = Combine(z.crc, p.CRC, p.Size)
	z.size += p.Size
	return nil
}

// Close writes the final block and the trailer. It does not close the
// underlying writer.
func (z *Writer) Close() error {
	if z.fw == nil {
		return z.err
	}
	if z.err == nil {
		z.err = z.fw.Close()
	}
	putFlate(z.fw)
	z.fw = nil
	if z.err == nil {
		_, z.err = z.w.Write(appendTrailer(nil, z.crc, z.size))
	}
	return z.err
}

// compressors keeps the compressors of members' own text between members:
// a new one clears hundreds of kilobytes of state, more than compressing a
// small part costs.
var compressors = sync.Pool{New: func() any {
	fw, _ := flate.NewWriter(nil, flate.BestSpeed) // a valid level: no error
	return fw
}}

func getFlate(w io.Writer) *flate.Writer {
	fw := compressors.Get().(*flate.Writer)
	fw.Reset(w)
	return fw
}

func putFlate(fw *flate.Writer) {
	fw.Reset(io.Discard) // let go of the underlying writer
	compressors.Put(fw)
}

// PieceWriter compresses text into a Piece.
type PieceWriter struct {
	fw   *flate.Writer
	crc  uint32
	size int64
}

// NewPieceWriter compresses into w at flate.BestSpeed.
func NewPieceWriter(w io.Writer) *PieceWriter { return &PieceWriter{fw: getFlate(w)} }

// Write compresses p.
func (pw *PieceWriter) Write(p []byte) (int, error) {
	n, err := pw.fw.Write(p)
	pw.crc = crc32.Update(pw.crc, crc32.IEEETable, p[:n])
	pw.size += int64(n)
	return n, err
}

// Finish ends the piece with a sync flush and returns the CRC-32 and length
// of the text written: what the underlying writer received is the piece's
// Deflate. The PieceWriter is not to be used afterwards.
func (pw *PieceWriter) Finish() (crc uint32, size int64, err error) {
	err = pw.fw.Flush()
	putFlate(pw.fw)
	pw.fw = nil
	return pw.crc, pw.size, err
}
